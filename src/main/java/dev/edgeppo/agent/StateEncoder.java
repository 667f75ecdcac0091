package dev.edgeppo.agent;

import dev.edgeppo.ppo.ActionMapping;
import dev.edgeppo.ppo.ParamLayout;
import dev.edgeppo.telemetry.GpuSnapshot;

/** SPEC §1's state: what was asked and how busy the chosen GPU is, each in [0, 1]. */
public final class StateEncoder {
  public static final long DEFAULT_MAX_MEMORY_MB = 32768;
  public static final int DEFAULT_MAX_PODS = 10;

  private final Long maxMemoryMb;
  private final int maxPods;

  /** @param maxMemoryMb null: the chosen device's total, or {@link #DEFAULT_MAX_MEMORY_MB} when unknown */
  public StateEncoder(Long maxMemoryMb, int maxPods) {
    // The seed's mapping scales memory actions over (MIN_MEMORY_MB, max_memory_mb]: the scale must exceed the floor.
    if (maxMemoryMb != null && maxMemoryMb <= ActionMapping.MIN_MEMORY_MB)
      throw new IllegalArgumentException("max_memory_mb must be > " + ActionMapping.MIN_MEMORY_MB + ", got " + maxMemoryMb);
    if (maxPods < 1) throw new IllegalArgumentException("max_pods must be >= 1, got " + maxPods);
    this.maxMemoryMb = maxMemoryMb;
    this.maxPods = maxPods;
  }

  public long maxMemoryMb(GpuSnapshot gpu) {
    if (maxMemoryMb != null) return maxMemoryMb;
    Long total = gpu.memoryTotalMib();
    return total != null && total > ActionMapping.MIN_MEMORY_MB ? total : DEFAULT_MAX_MEMORY_MB;
  }

  public float[] encode(int cores, long memoryMb, GpuSnapshot gpu) {
    float[] s = new float[ParamLayout.STATE_DIM];
    s[0] = clamp(cores / 100.0);
    s[1] = clamp(memoryMb / (double) maxMemoryMb(gpu));
    // A reading the device does not give counts as idle: the state must stay a number.
    s[2] = clamp(gpu.utilizationGpu() == null ? 0 : gpu.utilizationGpu() / 100.0);
    s[3] = clamp(gpu.memoryOccupancy() == null ? 0 : gpu.memoryOccupancy());
    s[4] = clamp(gpu.processes() == null ? 0 : gpu.processes() / (double) maxPods);
    return s;
  }

  private static float clamp(double v) {
    return (float) Math.min(1.0, Math.max(0.0, v));
  }
}
