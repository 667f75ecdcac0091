package dev.edgeppo.sim;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Replays Alibaba's GPU-sharing cluster trace (openb, 2023: {@code openb_pod_list_*.csv} from the public
 * alibaba/clusterdata repository, folder cluster-trace-gpu-v2023) on the simulated node.
 *
 * <p>Of each row: {@code gpu_milli} / 10 is the cores % asked for, and the same share of a 16 GiB GPU (the
 * memory of most of the trace's GPUs; the trace gives no GPU memory) the memory asked for;
 * {@code creation_time} is the arrival (rows are replayed in its order), {@code deletion_time - creation_time} the lifetime (capped at
 * {@value #MAX_LIFETIME_S} s, so that a pod the trace keeps for weeks does not hold the node for the
 * whole run); {@code qos} picks the workload class: LS → inference, BE → training, Burstable → bursty,
 * Guaranteed → training. The hidden demand comes from the class, as in the synthetic mix. Only pods that
 * share one GPU ({@code num_gpu} 1) and were scheduled ({@code scheduled_time} present) are replayed.
 *
 * <p>The trace is a whole cluster; one node sees a thinned share of it: arrival gaps (each cut to at most
 * {@value #MAX_GAP_S} s) are scaled, keeping their proportions, so that the requested number of pods (by default
 * {@link ArrivalProcess#DEFAULT_CONCURRENCY}) run on average. Past its end the trace is replayed again,
 * with new hidden demands.
 */
public final class TraceReplay {
  public static final long MAX_LIFETIME_S = 4 * 3600;
  /** Longer quiet spells between two creations are replayed as this long. */
  public static final long MAX_GAP_S = 3600;
  public static final long WHOLE_GPU_MEMORY_MB = 16384;
  /** The excerpt shipped with edgeppo: the default of {@code simulate --workload trace}. */
  public static final String EXCERPT_RESOURCE = "/dev/edgeppo/sim/openb-excerpt.csv";
  static final List<String> COLUMNS = List.of("name", "num_gpu", "gpu_milli", "qos", "creation_time", "deletion_time",
      "scheduled_time");

  /** One row of the trace, as far as the replay needs it. */
  public record Row(int line, String name, int numGpu, int gpuMilli, String qos, long creation, long deletion,
                    boolean scheduled) {
    boolean replayable() { return numGpu == 1 && gpuMilli > 0 && scheduled; }

    WorkloadClass workload() {
      return switch (qos) {
        case "LS" -> WorkloadClass.INFERENCE;
        case "Burstable" -> WorkloadClass.BURSTY;
        default -> WorkloadClass.TRAINING; // BE, Guaranteed
      };
    }
  }

  private final String source;
  private final List<Row> rows;
  private final List<Row> replayed;

  private TraceReplay(String source, List<Row> rows) {
    this.source = source;
    this.rows = List.copyOf(rows);
    // openb_pod_list_gpushare100.csv is not in creation order; the replay is (stable, so ties keep file order).
    this.replayed = rows.stream().filter(Row::replayable).sorted(java.util.Comparator.comparingLong(Row::creation)).toList();
    if (replayed.isEmpty()) throw new IllegalArgumentException(source + ": no row with num_gpu 1, gpu_milli > 0 and a scheduled_time to replay");
  }

  public static TraceReplay read(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read trace " + file + ": " + e.getMessage(), e);
    }
  }

  public static TraceReplay excerpt() {
    InputStream in = TraceReplay.class.getResourceAsStream(EXCERPT_RESOURCE);
    if (in == null) throw new IllegalStateException("the trace excerpt " + EXCERPT_RESOURCE + " is missing from the build");
    try (in) {
      return read(in, "openb excerpt");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses the whole file first: a malformed row anywhere is an error naming its line, and nothing is replayed. */
  public static TraceReplay read(InputStream in, String source) throws IOException {
    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    String header = r.readLine();
    if (header == null) throw new IllegalArgumentException(source + ": empty file, expected the openb header");
    String[] names = header.strip().split(",", -1);
    Map<String, Integer> col = new HashMap<>();
    for (int i = 0; i < names.length; i++) col.put(names[i], i);
    for (String c : COLUMNS)
      if (!col.containsKey(c)) throw new IllegalArgumentException(source + ": header lacks column '" + c + "' (openb pod list format: " + header + ")");
    List<Row> rows = new ArrayList<>();
    String line;
    int n = 1;
    while ((line = r.readLine()) != null) {
      n++;
      if (line.isBlank()) continue;
      String[] f = line.split(",", -1);
      if (f.length != names.length)
        throw new IllegalArgumentException(source + " line " + n + ": " + f.length + " fields, the header has " + names.length);
      rows.add(parse(source, n, f, col));
    }
    return new TraceReplay(source, rows);
  }

  private static Row parse(String source, int line, String[] f, Map<String, Integer> col) {
    String where = source + " line " + line;
    int numGpu = (int) number(where, "num_gpu", f[col.get("num_gpu")], 0, 64);
    int gpuMilli = (int) number(where, "gpu_milli", f[col.get("gpu_milli")], 0, 1000);
    String qos = f[col.get("qos")];
    if (!List.of("LS", "BE", "Burstable", "Guaranteed").contains(qos))
      throw new IllegalArgumentException(where + ": qos must be LS, BE, Burstable or Guaranteed, got '" + qos + "'");
    long creation = number(where, "creation_time", f[col.get("creation_time")], 0, Long.MAX_VALUE);
    long deletion = number(where, "deletion_time", f[col.get("deletion_time")], 0, Long.MAX_VALUE);
    if (deletion < creation) throw new IllegalArgumentException(where + ": deletion_time " + deletion + " is before creation_time " + creation);
    String sched = f[col.get("scheduled_time")];
    if (!sched.isEmpty()) number(where, "scheduled_time", sched, 0, Long.MAX_VALUE);
    return new Row(line, f[col.get("name")], numGpu, gpuMilli, qos, creation, deletion, !sched.isEmpty());
  }

  private static long number(String where, String name, String text, long lo, long hi) {
    long v;
    try {
      v = Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(where + ": " + name + " must be a whole number, got '" + text + "'");
    }
    if (v < lo || v > hi) throw new IllegalArgumentException(where + ": " + name + " must be in " + lo + ".." + hi + ", got " + v);
    return v;
  }

  public String source() { return source; }
  public List<Row> rows() { return rows; }
  public List<Row> replayed() { return replayed; }

  /** Lifetime of a row on the node, in whole seconds (at least 1, at most {@link #MAX_LIFETIME_S}). */
  static long lifetime(Row r) { return Math.max(1, Math.min(MAX_LIFETIME_S, r.deletion() - r.creation())); }

  /**
   * Seconds from the first replayed row to each row, with every gap cut to at most {@link #MAX_GAP_S}: the
   * default trace spends its first 10^7 s on a few dozen pods and then turns dense, and an average over
   * the idle stretch would pack the dense part far past the concurrency asked for.
   */
  long[] offsets() {
    long[] o = new long[replayed.size()];
    for (int i = 1; i < o.length; i++)
      o[i] = o[i - 1] + Math.min(MAX_GAP_S, replayed.get(i).creation() - replayed.get(i - 1).creation());
    return o;
  }

  /** {@code count} pods replaying the trace in order (again from the start when it runs out), hidden demands from {@code seed}. */
  public List<SimPod> pods(int count, long seed, double concurrency) {
    if (count < 1) throw new IllegalArgumentException("need at least one pod, got " + count);
    if (!(concurrency > 0)) throw new IllegalArgumentException("concurrency must be > 0, got " + concurrency);
    long[] offsets = offsets();
    long span = offsets[offsets.length - 1];
    double lifeSum = 0;
    for (Row r : replayed) lifeSum += lifetime(r);
    double meanGap = lifeSum / replayed.size() / concurrency;
    // Scale the trace's gaps so the node holds `concurrency` pods: n pods over span·stretch seconds.
    double stretch = span > 0 ? replayed.size() * meanGap / span : 0;
    double cycle = span * stretch + meanGap;
    SplittableRandom rng = new SplittableRandom(seed);
    List<SimPod> pods = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int k = i % replayed.size();
      Row row = replayed.get(k);
      long arrival = Math.round((i / replayed.size()) * cycle + offsets[k] * stretch);
      int cores = (int) Math.max(1, Math.min(100, Math.round(row.gpuMilli() / 10.0)));
      long memory = Math.max(256, Math.round(row.gpuMilli() / 1000.0 * WHOLE_GPU_MEMORY_MB));
      pods.add(row.workload().withRequest(i, row.name(), arrival, lifetime(row), cores, memory, rng.split()));
    }
    return pods;
  }

  @Override
  public String toString() {
    return source + ": " + rows.size() + " rows, " + replayed.size() + " replayed";
  }

}
