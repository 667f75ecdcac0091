package dev.edgeppo.telemetry;

import java.util.List;

/**
 * PLACEHOLDER written on the nvml branch so TelemetryFactory compiles: the simulated edge node is another
 * issue's work and replaces this class when merged. Until then it reports one idle simulated GPU.
 */
public final class SimTelemetry implements Telemetry {
  private static final long MEMORY_MIB = 32768;

  @Override
  public String name() { return "sim"; }

  @Override
  public String describe() { return "simulated node (placeholder: one idle GPU)"; }

  @Override
  public List<GpuSnapshot> read() {
    return List.of(new GpuSnapshot(0, "SIM-GPU-0", "simulated GPU", 0.0, 0.0, MEMORY_MIB, 0L, 0, null, null, null));
  }
}
