package dev.edgeppo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Commands that do not train run without the incubator module jdk.incubator.vector, so the JVM prints no
 * "Using incubator modules" warning: the launcher's decision (tools/needs-vector-api.sh), and those commands
 * working in a JVM started without the module. Training without it is refused with the reason.
 */
class VectorModuleTest {
  static final String WARNING = "incubator";

  @ParameterizedTest(name = "edgeppo {0} -> module {1}")
  @CsvSource(delimiter = '|', value = {
      "|no", "--help|no", "--version|no", "help serve|no", "gpu-diag --json|no", "gpu-diag --watch 5|no", "webhook --port 1|no",
      "serve --mode infer|no", "serve --mode=infer --port 0|no", "serve --port 0 --mode infer|no", "serve --help|no",
      "bench train-step --help|no", "serve|yes", "serve --mode train|yes", "serve --config x.json|yes", "train-once --case c|yes",
      "bench train-step|yes", "simulate|yes", "simulate pendulum|yes"})
  void theLauncherAddsTheModuleOnlyWhereAnUpdateMayRun(String args, String needed) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of("tools/needs-vector-api.sh").toAbsolutePath().toString()));
    if (args != null) cmd.addAll(List.of(args.split(" ")));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("EDGEPPO_MODE");
    assertEquals(needed.equals("yes") ? 0 : 1, pb.start().waitFor());
  }

  @Test
  void theEnvironmentsModeCountsAndAFlagBeatsIt() throws Exception {
    Path script = Path.of("tools/needs-vector-api.sh").toAbsolutePath();
    ProcessBuilder infer = new ProcessBuilder(script.toString(), "serve");
    infer.environment().put("EDGEPPO_MODE", "infer");
    assertEquals(1, infer.start().waitFor());
    ProcessBuilder flag = new ProcessBuilder(script.toString(), "serve", "--mode", "train");
    flag.environment().put("EDGEPPO_MODE", "infer");
    assertEquals(0, flag.start().waitFor());
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
  void serveInInferModeAnswersWithoutTheModule() throws Exception {
    Child c = withoutModule("serve", "--mode", "infer", "--port", "0", "--telemetry", "sim", "--backend", "cpu");
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(c.process().getInputStream(), StandardCharsets.UTF_8));
      int port = -1;
      for (String line; port < 0 && (line = out.readLine()) != null; ) {
        Matcher m = Pattern.compile("listening on .*:(\\d+)$").matcher(line);
        if (m.find()) port = Integer.parseInt(m.group(1));
      }
      assertTrue(port > 0, "serve did not listen: " + c.errText());
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/allocate"))
          .POST(HttpRequest.BodyPublishers.ofString("{\"cores\":50,\"memory\":2000}")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      assertFalse(c.errText().contains(WARNING), c.errText());
    } finally {
      c.process().destroy();
      c.process().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void trainingWithoutTheModuleIsRefusedWithTheReason() throws Exception {
    Child c = withoutModule("serve", "--port", "0", "--telemetry", "sim", "--backend", "cpu");
    assertTrue(c.process().waitFor(60, TimeUnit.SECONDS), "serve should refuse to start");
    assertNotEquals(0, c.process().exitValue());
    assertTrue(c.errText().contains("needs the JVM option --add-modules jdk.incubator.vector"), c.errText());
  }
}
