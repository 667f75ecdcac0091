package dev.edgeppo.nvml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Readings leave no native memory behind: every scratch buffer lives in an arena closed with the call. */
class NvmlNativeMemoryTest {
  private static final int ITERATIONS = 20_000;

  @Test
  void readingsDoNotLeakNativeMemory() throws Exception {
    Path script = StandIn.script(StandIn.TWO_GPUS + "fail nvmlDeviceGetMigMode 15\n");
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:NativeMemoryTracking=summary", "--enable-native-access=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), NativeMemoryProbe.class.getName(),
        StandIn.LIBRARY.toString(), String.valueOf(ITERATIONS));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("EDGEPPO_NVML_STANDIN_SCRIPT", script.toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe did not finish");
    assertEquals(0, p.exitValue(), out);
    Matcher m = Pattern.compile("before=(\\d+) after=(\\d+)").matcher(out);
    assertTrue(m.find(), out);
    long grown = Long.parseLong(m.group(2)) - Long.parseLong(m.group(1));
    // One leaked block per reading would be 60,000; the JVM's own bookkeeping moves by a handful.
    assertTrue(grown < 100, "native blocks grew by " + grown + " over " + ITERATIONS + " rounds: " + out);
  }
}
