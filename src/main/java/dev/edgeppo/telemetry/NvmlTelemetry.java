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

  /** The NVML handle itself, for readers beyond the per-GPU snapshot (the pod observer's per-process data). */
  public Nvml nvml() { return nvml; }

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
  public static GpuSnapshot snapshot(GpuReading r) {
    GpuReading.Memory m = r.memory();
    return new GpuSnapshot(r.index(), r.uuid(), r.name(), toDouble(r.utilizationGpu()), toDouble(r.utilizationMemory()),
        m == null ? null : m.totalMib(), m == null ? null : m.usedMib(), r.processCount(),
        toDouble(r.temperatureC()), r.powerMw() == null ? null : r.powerMw() / 1000.0, gauges(r));
  }

  /** Named after dcgm-exporter's fields so dashboards built for it read ours; units are DCGM's (MiB, W, MHz). */
  static Map<String, Double> gauges(GpuReading r) {
    Map<String, Double> g = new LinkedHashMap<>();
    put(g, DcgmField.GPU_UTIL.metric(), r.utilizationGpu());
    put(g, DcgmField.MEM_COPY_UTIL.metric(), r.utilizationMemory());
    if (r.memory() != null) {
      put(g, DcgmField.FB_TOTAL.metric(), r.memory().totalMib());
      put(g, DcgmField.FB_USED.metric(), r.memory().usedMib());
      put(g, DcgmField.FB_FREE.metric(), r.memory().freeMib());
      if (r.memory().reserved() != null) put(g, DcgmField.FB_RESERVED.metric(), r.memory().reserved() >> 20);
    }
    put(g, DcgmField.GPU_TEMP.metric(), r.temperatureC());
    if (r.powerMw() != null) g.put(DcgmField.POWER_USAGE.metric(), r.powerMw() / 1000.0);
    if (r.powerLimitMw() != null) g.put(DcgmField.ENFORCED_POWER_LIMIT.metric(), r.powerLimitMw() / 1000.0);
    if (r.clocks() != null) {
      put(g, DcgmField.SM_CLOCK.metric(), r.clocks().sm());
      put(g, DcgmField.MEM_CLOCK.metric(), r.clocks().memory());
      put(g, DcgmField.VIDEO_CLOCK.metric(), r.clocks().video());
    }
    if (r.ecc() != null) {
      put(g, DcgmField.ECC_SBE_VOL_TOTAL.metric(), r.ecc().correctedVolatile());
      put(g, DcgmField.ECC_DBE_VOL_TOTAL.metric(), r.ecc().uncorrectedVolatile());
      put(g, DcgmField.ECC_SBE_AGG_TOTAL.metric(), r.ecc().correctedAggregate());
      put(g, DcgmField.ECC_DBE_AGG_TOTAL.metric(), r.ecc().uncorrectedAggregate());
    }
    put(g, DcgmField.CLOCK_THROTTLE_REASONS.metric(), r.throttleReasons());
    if (r.mig() != null) g.put(DcgmField.MIG_MODE.metric(), r.mig().enabled() ? 1.0 : 0.0);
    // Compute processes have no DCGM field: they are GpuSnapshot#processes, exported as edgeppo_gpu_processes.
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
