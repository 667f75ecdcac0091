import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * What the agent's JVM did during the measured window of run.sh, from a JFR recording taken over that window
 * only: the evidence for where /allocate's tail comes from that does not depend on how loaded the machine is
 * (GC pauses, bytes allocated per request, lock contention, pinned virtual threads, fsyncs, CPU samples per
 * thread). Single-file program, like Loader.java:
 *
 *   java benchmarks/http/JfrSummary.java RECORDING.jfr REQUESTS
 *
 * REQUESTS is how many requests the agent answered in the window (from its /metrics), for the per-request
 * allocation.
 */
public final class JfrSummary {
  public static void main(String[] a) throws Exception {
    List<RecordedEvent> events = RecordingFile.readAllEvents(Path.of(a[0]));
    long requests = Long.parseLong(a[1]);
    List<Double> pauses = new ArrayList<>();
    List<long[]> heap = new ArrayList<>(); // {gc id, 1 before GC / 0 after, heap used, time ns}
    Map<Long, long[]> allocated = new java.util.HashMap<>(); // thread id -> {first, last} allocated bytes
    Map<Long, String> roles = new java.util.HashMap<>();
    long first = Long.MAX_VALUE, last = Long.MIN_VALUE;
    Map<String, long[]> contended = new TreeMap<>(); // site -> {count, total ns}
    Map<String, long[]> pinned = new TreeMap<>();
    List<Double> fsyncs = new ArrayList<>();
    Map<String, Integer> cpu = new TreeMap<>();
    int[] sampleCount = {0};
    for (RecordedEvent e : events) {
      first = Math.min(first, toNanos(e));
      last = Math.max(last, toNanos(e));
      switch (e.getEventType().getName()) {
        case "jdk.GarbageCollection" -> pauses.add(e.getDuration("sumOfPauses").toNanos() / 1e6);
        case "jdk.ThreadAllocationStatistics" -> {
          // Per platform thread, every second; a carrier's count includes the virtual threads it ran.
          RecordedThread t = e.getThread("thread");
          if (t == null) continue;
          long bytes = e.getLong("allocated");
          roles.put(t.getId(), group(t));
          allocated.merge(t.getId(), new long[] {bytes, bytes}, (o, n) -> new long[] {Math.min(o[0], n[0]), Math.max(o[1], n[1])});
        }
        case "jdk.GCHeapSummary" -> {
          boolean before = "Before GC".equals(e.getString("when"));
          heap.add(new long[] {e.getLong("gcId"), before ? 1 : 0, e.getLong("heapUsed"), toNanos(e)});
        }
        case "jdk.JavaMonitorEnter" -> add(contended, site(e) + " (" + group(e.getThread("eventThread")) + ")", e.getDuration());
        case "jdk.VirtualThreadPinned" -> add(pinned, site(e), e.getDuration());
        case "jdk.FileForce" -> fsyncs.add(e.getDuration().toNanos() / 1e6);
        case "jdk.ExecutionSample" -> {
          sampleCount[0]++;
          cpu.merge(group(e.getThread("sampledThread")), 1, Integer::sum);
        }
        default -> {}
      }
    }
    int samples = sampleCount[0];
    // Allocated = what each GC found minus what the one before it left, between the first and the last GC of
    // the window; per request at the window's average request rate.
    heap.sort(Comparator.comparingLong((long[] h) -> h[0]).thenComparingLong(h -> h[1]));
    long bytes = 0, afterPrev = -1, t0 = -1, t1 = -1;
    for (long[] h : heap) {
      if (h[1] == 0) {
        afterPrev = h[2];
        if (t0 < 0) t0 = h[3];
      } else if (afterPrev >= 0) {
        bytes += h[2] - afterPrev;
        t1 = h[3];
      }
    }
    double window = (last - first) / 1e9, between = (t1 - t0) / 1e9;
    double perRequest = between > 0 && requests > 0 ? bytes / between / (requests / window) : Double.NaN;
    System.out.printf("JFR, agent, measured window: %d requests%n", requests);
    System.out.printf("  GC pauses: %s%n", stats(pauses));
    Map<String, Long> byRole = new TreeMap<>();
    allocated.forEach((id, v) -> byRole.merge(roles.get(id), v[1] - v[0], Long::sum));
    long threads = byRole.values().stream().mapToLong(Long::longValue).sum();
    System.out.printf("  allocated (thread counters): %.2f KB per request in all;", requests == 0 ? Double.NaN : threads / 1024.0 / requests);
    byRole.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).filter(r -> r.getValue() > 0)
        .forEach(r -> System.out.printf(" %s %.2f", r.getKey().equals("carrier") ? "virtual threads" : r.getKey(), r.getValue() / 1024.0 / requests));
    System.out.println();
    System.out.printf("  allocated (GC heap summaries): %.0f MB/s between the first and last GC, %.1f KB per request%n",
        between > 0 ? bytes / between / 1e6 : Double.NaN, perRequest / 1024);
    System.out.printf("  fsync (FileForce >= 1 ms): %s%n", stats(fsyncs));
    System.out.printf("  contended monitor enter >= 1 ms: %s%n", contended.isEmpty() ? "none" : "");
    top(contended);
    System.out.printf("  virtual thread pinned >= 1 ms: %s%n", pinned.isEmpty() ? "none" : "");
    top(pinned);
    System.out.printf("  CPU samples by thread (%d):", samples);
    cpu.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .forEach(c -> System.out.printf(" %s %.0f%%", c.getKey(), 100.0 * c.getValue() / Math.max(1, samples)));
    System.out.println();
  }

  static long toNanos(RecordedEvent e) {
    java.time.Instant t = e.getStartTime();
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  static void add(Map<String, long[]> m, String key, Duration d) {
    long[] v = m.computeIfAbsent(key, k -> new long[2]);
    v[0]++;
    v[1] += d.toNanos();
  }

  static void top(Map<String, long[]> m) {
    m.entrySet().stream().sorted(Comparator.comparingLong((Map.Entry<String, long[]> x) -> x.getValue()[1]).reversed()).limit(6)
        .forEach(x -> System.out.printf("    %d x, %.1f ms in all: %s%n", x.getValue()[0], x.getValue()[1] / 1e6, x.getKey()));
  }

  static String stats(List<Double> ms) {
    if (ms.isEmpty()) return "none";
    double sum = ms.stream().mapToDouble(Double::doubleValue).sum();
    double max = ms.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    return String.format("%d, %.1f ms in all, max %.1f ms, mean %.2f ms", ms.size(), sum, max, sum / ms.size());
  }

  /** The innermost frame outside the JDK's locking code, or the innermost one. */
  static String site(RecordedEvent e) {
    RecordedStackTrace st = e.getStackTrace();
    if (st == null || st.getFrames().isEmpty()) return "?";
    RecordedFrame f = st.getFrames().getFirst();
    for (RecordedFrame g : st.getFrames()) {
      String c = g.getMethod().getType().getName();
      if (c.startsWith("dev.edgeppo") || c.startsWith("io.netty")) {
        f = g;
        break;
      }
    }
    return f.getMethod().getType().getName() + "." + f.getMethod().getName() + ":" + f.getLineNumber();
  }

  /** Threads grouped by role: event loops, virtual threads, trainer, sampler, GC/JIT (not sampled), other. */
  static String group(RecordedThread t) {
    if (t == null) return "?";
    if (t.isVirtual()) return "virtual";
    String n = t.getJavaName() == null ? t.getOSName() : t.getJavaName();
    if (n == null) return "?";
    if (n.startsWith("edgeppo-http")) return "event-loop";
    if (n.startsWith("ForkJoinPool")) return "carrier";
    if (n.startsWith("edgeppo-")) return n;
    return "other";
  }
}
