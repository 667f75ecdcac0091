package dev.edgeppo.telemetry;

/** Picks the agent's telemetry from {@code serve --telemetry}: NVML on a GPU node, the simulated node otherwise. */
public final class TelemetryFactory {
  private TelemetryFactory() {}

  /** What was opened, and a sentence for the log saying why. */
  public record Opened(Telemetry telemetry, String why) {}

  /**
   * {@code auto}: NVML when it initialises, else the simulated node with NVML's reason; {@code nvml}: NVML or a
   * {@link TelemetryException} with NVML's text; {@code sim}: the simulated node.
   */
  public static Opened open(String choice) {
    if (choice == null) throw new IllegalArgumentException("telemetry must be auto, nvml or sim, got nothing");
    return switch (choice) {
      case "nvml" -> {
        NvmlTelemetry t = NvmlTelemetry.open();
        yield new Opened(t, "telemetry nvml: " + t.describe());
      }
      case "sim" -> new Opened(new SimTelemetry(), "telemetry sim: requested with --telemetry sim");
      case "auto" -> {
        try {
          NvmlTelemetry t = NvmlTelemetry.open();
          yield new Opened(t, "telemetry nvml: " + t.describe());
        } catch (TelemetryException | IllegalStateException e) {
          yield new Opened(new SimTelemetry(), "telemetry sim: NVML did not initialise: " + e.getMessage());
        }
      }
      default -> throw new IllegalArgumentException("unknown telemetry '" + choice + "': want auto, nvml or sim");
    };
  }
}
