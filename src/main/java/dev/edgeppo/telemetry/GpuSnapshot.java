package dev.edgeppo.telemetry;

import dev.edgeppo.nvml.GpuReading;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One reading of one GPU, as the agent, /metrics and {@code gpu-diag --json} see it, whatever the source
 * (NVML, the simulator, a sampled cache). A reading the device does not support is null, never a made-up
 * number. From NVML it is derived in one place, {@link #of(GpuReading)}.
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

  /** SPEC §1 fields plus dcgm-exporter's gauges, all straight from one NVML reading. */
  public static GpuSnapshot of(GpuReading r) {
    GpuReading.Memory m = r.memory();
    return new GpuSnapshot(r.index(), r.uuid(), r.name(), toDouble(r.utilizationGpu()), toDouble(r.utilizationMemory()),
        m == null ? null : m.totalMib(), m == null ? null : m.usedMib(), r.processCount(), toDouble(r.temperatureC()),
        r.powerW(), gauges(r));
  }

  /** Named after dcgm-exporter's fields so dashboards built for it read ours; units are DCGM's (MiB, W, MHz). */
  private static Map<String, Double> gauges(GpuReading r) {
    Map<String, Double> g = new LinkedHashMap<>();
    for (DcgmField f : DcgmField.values()) {
      Number v = f.read(r);
      if (v != null) g.put(f.metric(), v.doubleValue());
    }
    // Compute processes have no DCGM field: they are #processes, exported as edgeppo_gpu_processes.
    return g;
  }

  private static Double toDouble(Integer v) { return v == null ? null : v.doubleValue(); }

  public Long memoryFreeMib() {
    return memoryTotalMib == null || memoryUsedMib == null ? null : Math.max(0, memoryTotalMib - memoryUsedMib);
  }
}
