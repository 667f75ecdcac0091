package dev.edgeppo.sim;

import dev.edgeppo.random.Noise;
import dev.edgeppo.telemetry.GpuSnapshot;
import dev.edgeppo.telemetry.Telemetry;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One simulated GPU (100 % SM cores, {@value #TOTAL_MIB} MiB) and the pods running on it, read through the
 * same {@link Telemetry} interface as NVML.
 *
 * <p>Model: a pod may use up to its core grant (the limiter caps it there); it wants {@code min(demand,
 * grant)}. When the pods together want more than 100 %, each gets the same proportion of what it wants.
 * What is measured is what it received times 1 ± {@value #MEASUREMENT_NOISE} noise. A pod whose memory
 * grant is below its working set, or whose working set does not fit in what the others leave, is OOM-killed
 * on start. Telemetry: utilization = measured use of all running pods (at most 100), memory used = their
 * working sets, processes = how many run. Time is whole seconds of simulated clock.
 */
public final class SimNode implements Telemetry {
  public static final long TOTAL_MIB = 32768;
  public static final double MEASUREMENT_NOISE = 0.05;
  /** A pod that receives at least this share of its demand is served (latency targets carry some headroom). */
  public static final double COVERED_SHARE_OF_DEMAND = 0.9;
  static final String UUID = "GPU-5157-0000-0000-0000-000000000000";

  /** A pod on the node with what it was granted. */
  public static final class Running {
    final SimPod pod;
    final int grantCores;
    final long grantMemoryMb;

    Running(SimPod pod, int grantCores, long grantMemoryMb) {
      this.pod = pod;
      this.grantCores = grantCores;
      this.grantMemoryMb = grantMemoryMb;
    }

    public SimPod pod() { return pod; }
    public int grantCores() { return grantCores; }

    /** What it would use with the GPU to itself: its demand, capped by the limiter at its grant. */
    double wanted(long t) { return Math.min(pod.demand(t), grantCores); }
  }

  /** What one pod got at one moment. {@code covered}: it received at least {@link #COVERED_SHARE_OF_DEMAND} of its demand. */
  public record Sample(double measuredUsage, double received, boolean covered) {}

  private final List<Running> running = new ArrayList<>();
  private final CoTenants coTenants;
  private long memoryInUse;
  private long now;

  public SimNode() { this(CoTenants.NONE); }

  /** A node shared with processes the agent does not place: they load it, hold memory and count as pods. */
  public SimNode(CoTenants coTenants) { this.coTenants = java.util.Objects.requireNonNull(coTenants); }

  /** Pods on the GPU at the current time, co-tenants included (what NVML would count as processes). */
  public int podsOnGpu() { return running.size() + coTenants.count(now); }

  public long now() { return now; }

  public void advanceTo(long t) {
    if (t < now) throw new IllegalArgumentException("time runs forward: " + t + " < " + now);
    now = t;
  }

  /** The simulated clock for the agent (pending allocations age in simulated time). */
  public InstantSource clock() {
    return () -> Instant.ofEpochSecond(now);
  }

  public List<Running> running() { return Collections.unmodifiableList(running); }
  public long memoryInUseMb() { return memoryInUse; }

  /** Starts a pod with its grant; null when it is OOM-killed on start (it then never runs). */
  public Running start(SimPod pod, int grantCores, long grantMemoryMb) {
    if (grantCores < 1) throw new IllegalArgumentException("a grant has at least 1 % of cores, got " + grantCores);
    if (grantMemoryMb < pod.workingSetMb() || memoryInUse + coTenants.memoryMb(now) + pod.workingSetMb() > TOTAL_MIB) return null;
    Running r = new Running(pod, grantCores, grantMemoryMb);
    running.add(r);
    memoryInUse += pod.workingSetMb();
    return r;
  }

  public void stop(Running r) {
    if (!running.remove(r)) throw new IllegalStateException("pod " + r.pod.name() + " is not running");
    memoryInUse -= r.pod.workingSetMb();
  }

  /** What the running pods and the co-tenants want at {@code t}, each capped at its grant (cores %). */
  public double wanted(long t) {
    double total = coTenants.demand(t);
    for (Running r : running) total += r.wanted(t);
    return total;
  }

  /** Share of what they want that every pod receives at {@code t}: 1 unless they want more than the GPU. */
  double contention(long t) {
    double total = wanted(t);
    return total > 100 ? 100 / total : 1.0;
  }

  public Sample sample(Running r, long t) {
    return sample(r, t, contention(t));
  }

  /** As {@link #sample(Running, long)} with the contention at {@code t} already worked out (one pass for all pods). */
  Sample sample(Running r, long t, double share) {
    double demand = r.pod.demand(t);
    double received = r.wanted(t) * share;
    double measured = received * (1 + MEASUREMENT_NOISE * Noise.symmetric(r.pod.noiseSeed(), t, 2));
    return new Sample(Math.min(100, measured), received, received >= demand * COVERED_SHARE_OF_DEMAND);
  }

  @Override
  public String name() { return "sim"; }

  @Override
  public String describe() { return "simulated edge node: 1 GPU, " + TOTAL_MIB + " MiB, " + running.size() + " pods"; }

  @Override
  public List<GpuSnapshot> read() {
    double share = contention(now), util = 0;
    for (Running r : running) util += sample(r, now, share).measuredUsage();
    util = Math.min(100, util + coTenants.demand(now) * share);
    return List.of(new GpuSnapshot(0, UUID, "edgeppo simulated GPU", util, null, TOTAL_MIB,
        memoryInUse + coTenants.memoryMb(now), podsOnGpu(), null, null, Map.of()));
  }
}
