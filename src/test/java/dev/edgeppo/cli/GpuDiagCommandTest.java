package dev.edgeppo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgeppo.nvml.StandIn;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code edgeppo gpu-diag} through the real command line, against the stand-in and Debian's real NVML. */
class GpuDiagCommandTest {
  /** SPEC §3's JSON for StandIn.TWO_GPUS, worked out by hand from the script (bytes to MiB, mW to W). */
  private static final String TWO_GPUS_JSON = "{\"driver_version\":\"535.104.05\",\"nvml_version\":\"12.535.104.05\","
      + "\"gpus\":[{\"index\":0,\"uuid\":\"GPU-7c0c5a2e-0000-4000-8000-000000000001\",\"name\":\"NVIDIA A2\","
      + "\"utilization_gpu\":45,\"utilization_memory\":30,\"memory_total_mib\":15360,\"memory_used_mib\":4608,"
      + "\"processes\":2,\"temperature_c\":51,\"power_w\":61.234},"
      + "{\"index\":1,\"uuid\":\"GPU-00000000-1111-2222-3333-444444444444\",\"name\":\"Tesla T4\","
      + "\"utilization_gpu\":0,\"utilization_memory\":7,\"memory_total_mib\":15360,\"memory_used_mib\":0,"
      + "\"processes\":0,\"temperature_c\":null,\"power_w\":null}]}";

  record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void jsonIsExactlyWhatTheStandInSays() {
    StandIn.script(StandIn.TWO_GPUS);
    Run r = run("gpu-diag", "--json");
    assertEquals(0, r.exit(), r.err());
    assertEquals(TWO_GPUS_JSON + System.lineSeparator(), r.out());
    assertEquals(0, StandIn.initCount(), "gpu-diag shuts NVML down");
  }

  @Test
  void tableShowsWhatAnOperatorChecks() {
    StandIn.script(StandIn.TWO_GPUS);
    Run r = run("gpu-diag");
    assertEquals(0, r.exit(), r.err());
    List<String> lines = r.out().lines().toList();
    assertTrue(lines.get(0).startsWith("Driver 535.104.05   NVML 12.535.104.05"), lines.get(0));
    String a2 = lines.stream().filter(l -> l.startsWith("0 ")).findFirst().orElseThrow();
    for (String cell : List.of("NVIDIA A2", "00000000:17:00.0", "51C", "61W / 60W", "4608MiB / 15360MiB", "45%", "30%",
        "1770 / 6251", "On")) {
      assertTrue(a2.contains(cell), cell + " missing in: " + a2);
    }
    String t4 = lines.stream().filter(l -> l.startsWith("1 ")).findFirst().orElseThrow();
    assertTrue(t4.contains("Tesla T4") && t4.contains("N/A / N/A"), t4);
    assertTrue(r.out().contains("throttle: SW Power Cap, SW Thermal Slowdown"), r.out());
    assertTrue(lines.stream().anyMatch(l -> l.matches("0\\s+4242\\s+1024MiB\\s+40\\s+20")), r.out());
    assertTrue(lines.stream().anyMatch(l -> l.matches("0\\s+4343\\s+512MiB\\s+5\\s+1")), r.out());
  }

  @Test
  void nvmlFailureExitsNonZeroWithNvmlText() {
    StandIn.script("fail nvmlInit_v2 9\n");
    Run r = run("gpu-diag", "--json");
    assertNotEquals(0, r.exit());
    assertEquals("", r.out());
    assertTrue(r.err().contains("Driver Not Loaded"), r.err());
  }

  @Test
  void aReadingFailureMidWayAlsoExitsNonZero() {
    StandIn.script(StandIn.TWO_GPUS + "fail nvmlDeviceGetUtilizationRates 15\n");
    Run r = run("gpu-diag");
    assertNotEquals(0, r.exit());
    assertTrue(r.err().contains("GPU is lost"), r.err());
    assertEquals(0, StandIn.initCount(), "NVML is shut down on the failure path too");
  }

  @Test
  void watchRejectsLessThanOneSecond() {
    Run r = run("gpu-diag", "--watch", "0");
    assertNotEquals(0, r.exit());
    assertTrue(r.err().contains("--watch"), r.err());
  }

  @Test
  void watchRepeatsUntilInterrupted() throws Exception {
    StandIn.script(StandIn.TWO_GPUS);
    StringWriter out = new StringWriter();
    int[] exit = {-1};
    Thread t = new Thread(() -> {
      CommandLine cl = Main.commandLine();
      cl.setOut(new PrintWriter(out, true));
      exit[0] = cl.execute("gpu-diag", "--json", "--watch", "1");
    });
    t.start();
    // Two readings (one second apart) are enough to show it repeats; the bound only stops a broken loop.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (out.toString().lines().count() < 2 && System.nanoTime() < deadline) Thread.sleep(50);
    t.interrupt();
    t.join(TimeUnit.SECONDS.toMillis(30));
    assertEquals(0, exit[0]);
    List<String> lines = out.toString().lines().toList();
    assertTrue(lines.size() >= 2, out.toString());
    for (String l : lines) assertEquals(TWO_GPUS_JSON, l);
  }

  // ---- in their own JVM: another library than the stand-in this JVM has loaded ----

  @Test
  void oldDriverWithoutV2AndV3SymbolsFallsBack() throws Exception {
    Path script = StandIn.script(StandIn.TWO_GPUS);
    Run r = inOwnJvm(Map.of("EDGEPPO_NVML_LIBRARY", StandIn.OLD_LIBRARY.toString(),
        "EDGEPPO_NVML_STANDIN_SCRIPT", script.toString()), "gpu-diag", "--json");
    assertEquals(0, r.exit(), r.err());
    // v1 memory counts the 300 MiB reserved as used; processes come from the unversioned symbol.
    assertEquals(TWO_GPUS_JSON.replace("\"memory_used_mib\":4608", "\"memory_used_mib\":4908"), r.out().strip());
  }

  @Test
  void realDebianLibraryWithoutDriverSaysDriverNotLoaded() throws Exception {
    assumeRealLibrary();
    Run r = inOwnJvm(Map.of("EDGEPPO_NVML_LIBRARY", StandIn.REAL_LIBRARY.toString()), "gpu-diag", "--json");
    assertAsTheDriverAllows(r);
  }

  @Test
  void withoutTheVariableTheSystemLibraryIsUsed() throws Exception {
    assumeRealLibrary();
    assertAsTheDriverAllows(inOwnJvm(Map.of(), "gpu-diag", "--json"));
  }

  /** Without the kernel driver NVML must fail with its own words; on a GPU node it must read. */
  private static void assertAsTheDriverAllows(Run r) {
    if (Files.exists(Path.of("/proc/driver/nvidia/version"))) {
      assertEquals(0, r.exit(), r.err());
      assertTrue(r.out().startsWith("{\"driver_version\":"), r.out());
    } else {
      assertNotEquals(0, r.exit());
      assertEquals("", r.out());
      assertTrue(r.err().contains("Driver Not Loaded"), r.err());
    }
  }

  private static void assumeRealLibrary() {
    boolean present = Files.isRegularFile(StandIn.REAL_LIBRARY);
    if (!present) System.out.println("skipped: " + StandIn.REAL_LIBRARY + " absent (Debian package libnvidia-ml1)");
    assumeTrue(present, "no real NVML library");
  }

  /** bin/edgeppo's java line, with this test's classpath and the given environment instead of ours. */
  private static Run inOwnJvm(Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("EDGEPPO_NVML_LIBRARY");
    pb.environment().remove("EDGEPPO_NVML_STANDIN_SCRIPT");
    pb.environment().putAll(env);
    Path err = Files.createTempFile("gpu-diag-", ".err");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
    String errText = Files.readString(err);
    Files.deleteIfExists(err);
    return new Run(p.exitValue(), out, errText);
  }
}
