package dev.edgeppo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Commands that do not train start without the incubator module jdk.incubator.vector, so the JVM
 * prints no "Using incubator modules" warning: the launcher's decision (tools/needs-vector-api.sh), and those
 * commands working in a JVM started without the module: serve --mode infer among them (Dense's scalar path);
 * serve --mode train without it is refused with the reason.
 */
class VectorModuleTest {
  static final String WARNING = "Using incubator modules";

  @ParameterizedTest(name = "edgeppo {0} -> module {1}")
  @CsvSource(delimiter = '|', value = {
      "|no", "--help|no", "--version|no", "help serve|no", "gpu-diag --json|no", "gpu-diag --watch 5|no", "webhook --port 1|no",
      "serve --help|no", "bench train-step --help|no", "serve|yes", "serve --mode infer|no", "serve --mode=infer|no",
      "serve --config x.json --mode infer --port 1|no", "serve --mode train|yes", "serve --mode=train|yes", "serve --config x.json|yes",
      "train-once --case c|yes", "bench train-step|yes", "simulate|yes", "simulate pendulum|yes", "gpu-check|yes"})
  void theLauncherAddsTheModuleOnlyWhereTheNetworksRun(String args, String needed) throws Exception {
    assertEquals(needed.equals("yes") ? 0 : 1, launcherDecides(args, null));
  }

  /** serve's mode as ServeConfig resolves it: the flag before EDGEPPO_MODE. */
  @Test
  void theLauncherReadsServesModeFromTheEnvironmentUnlessAFlagSetsIt() throws Exception {
    assertEquals(1, launcherDecides("serve", "infer"));
    assertEquals(0, launcherDecides("serve", "train"));
    assertEquals(0, launcherDecides("serve --mode train", "infer"));
    assertEquals(1, launcherDecides("serve --mode infer", "train"));
    assertEquals(0, launcherDecides("simulate", "infer"));
  }

  /** tools/needs-vector-api.sh's exit status: 0 adds the module, 1 does not. */
  private static int launcherDecides(String args, String envMode) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of("tools/needs-vector-api.sh").toAbsolutePath().toString()));
    if (args != null) cmd.addAll(List.of(args.split(" ")));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("EDGEPPO_MODE");
    if (envMode != null) pb.environment().put("EDGEPPO_MODE", envMode);
    return pb.start().waitFor();
  }

  record Child(Process process, Path err) {
    String errText() throws Exception { return Files.readString(err); }
  }

  /** bin/edgeppo's java line without the module. */
  static Child withoutModule(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    Path err = Files.createTempFile("vector-module-", ".err");
    err.toFile().deleteOnExit();
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
    pb.environment().remove("EDGEPPO_MODE");
    return new Child(pb.start(), err);
  }

  @Test
  void helpPrintsNoWarning() throws Exception {
    Child c = withoutModule("--help");
    String out = new String(c.process().getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(c.process().waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, c.process().exitValue());
    assertTrue(out.contains("serve"), out);
    assertFalse(c.errText().contains(WARNING), c.errText());
  }

  @Test
  void gpuDiagPrintsNoWarning() throws Exception {
    Child c = withoutModule("gpu-diag", "--json");
    c.process().getInputStream().readAllBytes();
    assertTrue(c.process().waitFor(60, TimeUnit.SECONDS));
    assertFalse(c.errText().contains(WARNING), c.errText());
  }

  /** Training needs the module: refused with the reason, before anything is opened. */
  @Test
  void serveInTrainModeWithoutTheModuleIsRefusedWithTheReason() throws Exception {
    Child c = withoutModule("serve", "--mode", "train", "--port", "0", "--telemetry", "sim", "--backend", "cpu");
    assertTrue(c.process().waitFor(60, TimeUnit.SECONDS), "serve should refuse to start");
    assertNotEquals(0, c.process().exitValue());
    assertTrue(c.errText().contains("needs the JVM option --add-modules jdk.incubator.vector"), c.errText());
    assertFalse(c.errText().contains(WARNING), "no warning either: the module was never resolved");
  }

  /** serve --mode infer runs without the module (Dense's scalar path): it answers /allocate and prints no warning. */
  @Test
  void serveInInferModeAnswersWithoutTheModuleAndWithoutTheWarning() throws Exception {
    Child c = withoutModule("serve", "--mode", "infer", "--port", "0", "--telemetry", "sim", "--backend", "cpu");
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(c.process().getInputStream(), StandardCharsets.UTF_8));
      Pattern listening = Pattern.compile("listening on .*:(\\d+)$");
      int port = -1;
      for (String line; port < 0 && (line = out.readLine()) != null; ) {
        Matcher m = listening.matcher(line);
        if (m.find()) port = Integer.parseInt(m.group(1));
      }
      assertTrue(port > 0, () -> "serve exited before listening: " + errTextOf(c));
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/allocate"))
          .POST(HttpRequest.BodyPublishers.ofString("{\"cores\":80,\"memory\":4000}")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      JsonNode a = new ObjectMapper().readTree(r.body());
      assertEquals(36, a.get("allocation_id").asText().length(), r.body());
      assertTrue(a.get("cores").asInt() >= 1 && a.get("cores").asInt() <= 100, r.body());
    } finally {
      c.process().destroy();
      assertTrue(c.process().waitFor(30, TimeUnit.SECONDS));
    }
    assertFalse(c.errText().contains(WARNING), c.errText());
  }

  private static String errTextOf(Child c) {
    try {
      return c.errText();
    } catch (Exception e) {
      return e.toString();
    }
  }
}
