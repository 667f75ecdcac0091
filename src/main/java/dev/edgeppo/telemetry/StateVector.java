package dev.edgeppo.telemetry;

/** The 5-float state of SPEC §1, from a request and the chosen GPU's snapshot. */
public final class StateVector {
  public static final long DEFAULT_MAX_MEMORY_MB = 32768;
  public static final int DEFAULT_MAX_PODS = 10;

  private StateVector() {}

  /**
   * {@code [cores/100, memory/maxMemoryMb, gpu util, framebuffer occupancy, processes/maxPods]}, each clamped to
   * [0, 1]. A reading the GPU does not support contributes 0: the policy then sees an idle figure rather than a
   * made-up load (NVML reports no utilization on MIG-enabled GPUs, for one).
   */
  public static float[] of(int cores, long memoryMb, GpuSnapshot gpu, long maxMemoryMb, int maxPods) {
    if (maxMemoryMb <= 0 || maxPods <= 0) throw new IllegalArgumentException("maxMemoryMb and maxPods must be > 0");
    if (gpu == null) throw new IllegalArgumentException("no GPU snapshot");
    return new float[] {
        clamp(cores / 100.0),
        clamp(memoryMb / (double) maxMemoryMb),
        clamp(gpu.utilizationGpu() == null ? 0 : gpu.utilizationGpu() / 100.0),
        clamp(gpu.memoryOccupancy() == null ? 0 : gpu.memoryOccupancy()),
        clamp(gpu.processes() == null ? 0 : gpu.processes() / (double) maxPods),
    };
  }

  private static float clamp(double v) { return (float) Math.min(1.0, Math.max(0.0, v)); }
}
