package dev.edgeppo.telemetry;

import dev.edgeppo.nvml.Nvml;
import dev.edgeppo.nvml.NvmlException;
import java.util.List;

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
      return nvml.readAll().stream().map(GpuSnapshot::of).toList();
    } catch (NvmlException e) {
      throw new TelemetryException(e.getMessage(), e);
    }
  }

  @Override
  public void close() { nvml.close(); }

  private static String orUnknown(java.util.function.Supplier<String> s) {
    try {
      String v = s.get();
      return v == null ? "unknown" : v;
    } catch (NvmlException e) {
      return "unknown (" + e.nvmlText() + ")";
    }
  }
}
