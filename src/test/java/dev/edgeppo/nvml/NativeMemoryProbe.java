package dev.edgeppo.nvml;

import java.lang.management.ManagementFactory;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;

/**
 * Run by NvmlNativeMemoryTest in a JVM with native memory tracking: reads GPUs many times (successes,
 * list queries and failures) and prints how many native blocks FFM holds before and after.
 * Arguments: library path, iterations. The stand-in's script comes from $EDGEPPO_NVML_STANDIN_SCRIPT.
 */
public final class NativeMemoryProbe {
  /** Arena allocations are malloc'd under NMT's "Other" tag; the count is of live blocks. */
  private static final Pattern OTHER = Pattern.compile("malloc=\\d+KB tag=Other #(\\d+)");

  private NativeMemoryProbe() {}

  public static void main(String[] args) throws Exception {
    int iterations = Integer.parseInt(args[1]);
    try (Nvml nvml = Nvml.open(args[0])) {
      round(nvml, iterations / 10); // warm: classes, method handles and JIT settle first
      long before = liveBlocks();
      round(nvml, iterations);
      long after = liveBlocks();
      System.out.println("before=" + before + " after=" + after);
    }
  }

  private static void round(Nvml nvml, int n) {
    for (int i = 0; i < n; i++) {
      nvml.read(0);
      nvml.processUtilization(0, 0);
      try {
        nvml.read(1);
        throw new AssertionError("GPU 1 is scripted to fail");
      } catch (NvmlException expected) {
        // the failure path must free its scratch memory too
      }
    }
  }

  private static long liveBlocks() throws Exception {
    String summary = (String) ManagementFactory.getPlatformMBeanServer().invoke(
        new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
        new Object[] {new String[] {"summary", "scale=KB"}}, new String[] {String[].class.getName()});
    Matcher m = OTHER.matcher(summary);
    if (!m.find()) throw new IllegalStateException("no 'Other' tag in NMT summary:\n" + summary);
    return Long.parseLong(m.group(1));
  }
}
