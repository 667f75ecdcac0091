package dev.edgeppo.telemetry;

import dev.edgeppo.random.Noise;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;

/**
 * A simulated node with one GPU of 32768 MiB, for machines without one (and `serve --telemetry sim`).
 * Readings drift slowly with time (a few minutes' period) plus a little seeded jitter, so successive
 * states differ the way a real node's do, without pretending to model a workload.
 */
public final class SimTelemetry implements Telemetry {
  public static final long TOTAL_MIB = 32768;
  public static final String UUID = "GPU-00000000-0000-0000-0000-5100000000e0";

  private final InstantSource clock;
  private final long seed;

  public SimTelemetry() {
    this(InstantSource.system(), 1);
  }

  public SimTelemetry(InstantSource clock, long seed) {
    this.clock = clock;
    this.seed = seed;
  }

  @Override
  public String name() { return "sim"; }

  @Override
  public String describe() { return "simulated node: 1 GPU, " + TOTAL_MIB + " MiB"; }

  @Override
  public List<GpuSnapshot> read() {
    double t = clock.millis() / 1000.0;
    long second = (long) Math.floor(t);
    double util = clamp(45 + 25 * Math.sin(2 * Math.PI * t / 300) + 5 * jitter(second, 1), 0, 100);
    double memFrac = clamp(0.35 + 0.15 * Math.sin(2 * Math.PI * t / 420 + 1) + 0.02 * jitter(second, 2), 0, 1);
    int processes = (int) Math.round(clamp(3 + 2 * Math.sin(2 * Math.PI * t / 600 + 2), 0, 10));
    long used = Math.round(memFrac * TOTAL_MIB);
    double bandwidth = clamp(util * 0.6, 0, 100);
    return List.of(new GpuSnapshot(0, UUID, "edgeppo simulated GPU", util, bandwidth, TOTAL_MIB, used, processes,
        55 + util * 0.2, 60 + util * 1.5, Map.of()));
  }

  /** In [-1, 1), fixed for a given second and channel: repeatable runs from the same clock. */
  private double jitter(long second, int channel) {
    return Noise.symmetric(seed, second, channel);
  }

  private static double clamp(double v, double lo, double hi) {
    return Math.max(lo, Math.min(hi, v));
  }
}
