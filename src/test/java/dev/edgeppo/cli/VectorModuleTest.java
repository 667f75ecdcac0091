package dev.edgeppo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Commands that do not run the networks start without the incubator module jdk.incubator.vector, so the JVM
 * prints no "Using incubator modules" warning: the launcher's decision (tools/needs-vector-api.sh), and those
 * commands working in a JVM started without the module. serve without it is refused with the reason.
 */
class VectorModuleTest {
  static final String WARNING = "Using incubator modules";

  @ParameterizedTest(name = "edgeppo {0} -> module {1}")
  @CsvSource(delimiter = '|', value = {
      "|no", "--help|no", "--version|no", "help serve|no", "gpu-diag --json|no", "gpu-diag --watch 5|no", "webhook --port 1|no",
      "serve --help|no", "bench train-step --help|no", "serve|yes", "serve --mode infer|yes", "serve --config x.json|yes",
      "train-once --case c|yes", "bench train-step|yes", "simulate|yes", "simulate pendulum|yes", "gpu-check|yes"})
  void theLauncherAddsTheModuleOnlyWhereTheNetworksRun(String args, String needed) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of("tools/needs-vector-api.sh").toAbsolutePath().toString()));
    if (args != null) cmd.addAll(List.of(args.split(" ")));
    assertEquals(needed.equals("yes") ? 0 : 1, new ProcessBuilder(cmd).start().waitFor());
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

  @Test
  void serveWithoutTheModuleIsRefusedWithTheReason() throws Exception {
    Child c = withoutModule("serve", "--mode", "infer", "--port", "0", "--telemetry", "sim", "--backend", "cpu");
    assertTrue(c.process().waitFor(60, TimeUnit.SECONDS), "serve should refuse to start");
    assertNotEquals(0, c.process().exitValue());
    assertTrue(c.errText().contains("needs the JVM option --add-modules jdk.incubator.vector"), c.errText());
    assertTrue(c.errText().contains(WARNING) == false, "no warning either: the module was never resolved");
  }
}
