package dev.edgeppo.telemetry;

import java.util.Map;

/**
 * One reading of one GPU. A reading the device does not support is null, never a made-up number.
 *
 * @param utilizationGpu    percent of time a kernel ran (NVML utilization.gpu), 0..100
 * @param utilizationMemory percent of time device memory was read or written (bandwidth), 0..100
 * @param processes         running compute processes
 * @param extra             further gauges for /metrics, keyed by dcgm-exporter's name where one exists
 */
public record GpuSnapshot(int index, String uuid, String name, Double utilizationGpu, Double utilizationMemory,
                          Long memoryTotalMib, Long memoryUsedMib, Integer processes, Double temperatureC,
                          Double powerW, Map<String, Double> extra) {
  public GpuSnapshot {
    extra = extra == null ? Map.of() : Map.copyOf(extra);
  }

  /** Framebuffer occupancy used / total in [0, 1] (SPEC §1 state[3]); null when either is unknown. */
  public Double memoryOccupancy() {
    if (memoryTotalMib == null || memoryUsedMib == null || memoryTotalMib <= 0) return null;
    return Math.min(1.0, Math.max(0.0, memoryUsedMib / (double) memoryTotalMib));
  }

  public Long memoryFreeMib() {
    return memoryTotalMib == null || memoryUsedMib == null ? null : Math.max(0, memoryTotalMib - memoryUsedMib);
  }
}
