package dev.edgeppo.telemetry;

import dev.edgeppo.nvml.GpuReading;
import dev.edgeppo.nvml.Nvml;
import dev.edgeppo.nvml.NvmlException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The GPUs of this node as NVML reports them, read in-process through the FFM bindings. */
public final class NvmlTelemetry implements Telemetry {
  private final Nvml nvml;
  private final String description;

  private NvmlTelemetry(Nvml nvml) {
    this.nvml = nvml;
    this.description = "NVML " + orUnknown(nvml::nvmlVersion) + ", driver " + orUnknown(nvml::driverVersion)
        + " (" + nvml.library() + ")";
  }

  /** The library of $EDGEPPO_NVML_LIBRARY or the system's; throws {@link TelemetryException} with NVML's text. */
  public static NvmlTelemetry open() {
    try {
      return new NvmlTelemetry(Nvml.open());
    } catch (NvmlException e) {
      throw new TelemetryException(e.getMessage(), e);
    }
  }

  @Override
  public String name() { return "nvml"; }

  @Override
  public String describe() { return description; }

  @Override
  public List<GpuSnapshot> read() {
    try {
      return nvml.readAll().stream().map(NvmlTelemetry::snapshot).toList();
    } catch (NvmlException e) {
      throw new TelemetryException(e.getMessage(), e);
    }
  }

  @Override
  public void close() { nvml.close(); }

  /** SPEC §1 fields plus dcgm-exporter's gauges, all straight from one NVML reading. */
  static GpuSnapshot snapshot(GpuReading r) {
    GpuReading.Memory m = r.memory();
    return new GpuSnapshot(r.index(), r.uuid(), r.name(), toDouble(r.utilizationGpu()), toDouble(r.utilizationMemory()),
        m == null ? null : m.totalMib(), m == null ? null : m.usedMib(), r.processCount(),
        toDouble(r.temperatureC()), r.powerMw() == null ? null : r.powerMw() / 1000.0, gauges(r));
  }

  /** Named after dcgm-exporter's fields so dashboards built for it read ours; units are DCGM's (MiB, W, MHz). */
  static Map<String, Double> gauges(GpuReading r) {
    Map<String, Double> g = new LinkedHashMap<>();
    put(g, "DCGM_FI_DEV_GPU_UTIL", r.utilizationGpu());
    put(g, "DCGM_FI_DEV_MEM_COPY_UTIL", r.utilizationMemory());
    if (r.memory() != null) {
      put(g, "DCGM_FI_DEV_FB_TOTAL", r.memory().totalMib());
      put(g, "DCGM_FI_DEV_FB_USED", r.memory().usedMib());
      put(g, "DCGM_FI_DEV_FB_FREE", r.memory().freeMib());
      if (r.memory().reserved() != null) put(g, "DCGM_FI_DEV_FB_RESERVED", r.memory().reserved() >> 20);
    }
    put(g, "DCGM_FI_DEV_GPU_TEMP", r.temperatureC());
    if (r.powerMw() != null) g.put("DCGM_FI_DEV_POWER_USAGE", r.powerMw() / 1000.0);
    if (r.powerLimitMw() != null) g.put("DCGM_FI_DEV_ENFORCED_POWER_LIMIT", r.powerLimitMw() / 1000.0);
    if (r.clocks() != null) {
      put(g, "DCGM_FI_DEV_SM_CLOCK", r.clocks().sm());
      put(g, "DCGM_FI_DEV_MEM_CLOCK", r.clocks().memory());
      put(g, "DCGM_FI_DEV_VIDEO_CLOCK", r.clocks().video());
    }
    if (r.ecc() != null) {
      put(g, "DCGM_FI_DEV_ECC_SBE_VOL_TOTAL", r.ecc().correctedVolatile());
      put(g, "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", r.ecc().uncorrectedVolatile());
      put(g, "DCGM_FI_DEV_ECC_SBE_AGG_TOTAL", r.ecc().correctedAggregate());
      put(g, "DCGM_FI_DEV_ECC_DBE_AGG_TOTAL", r.ecc().uncorrectedAggregate());
    }
    put(g, "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS", r.throttleReasons());
    if (r.mig() != null) g.put("DCGM_FI_DEV_MIG_MODE", r.mig().enabled() ? 1.0 : 0.0);
    // No DCGM field counts compute processes; SPEC §1 state[4] is built from it.
    put(g, "edgeppo_gpu_compute_processes", r.processCount());
    return g;
  }

  private static void put(Map<String, Double> g, String key, Number value) {
    if (value != null) g.put(key, value.doubleValue());
  }

  private static Double toDouble(Integer v) { return v == null ? null : v.doubleValue(); }

  private static String orUnknown(java.util.function.Supplier<String> s) {
    try {
      String v = s.get();
      return v == null ? "unknown" : v;
    } catch (NvmlException e) {
      return "unknown (" + e.nvmlText() + ")";
    }
  }
}
