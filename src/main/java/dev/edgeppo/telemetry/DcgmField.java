package dev.edgeppo.telemetry;

/**
 * The gauges NVML telemetry exports under dcgm-exporter's names and units (MiB, W, MHz, °C, %), so that
 * dashboards and alerts written for dcgm-exporter read ours. The one list both the telemetry (keys of
 * {@link GpuSnapshot#extra()}) and /metrics (metric names) use.
 */
public enum DcgmField {
  GPU_UTIL("GPU utilization (in %)."),
  MEM_COPY_UTIL("Memory utilization (in %)."),
  FB_TOTAL("Framebuffer memory total (in MiB)."),
  FB_USED("Framebuffer memory used (in MiB)."),
  FB_FREE("Framebuffer memory free (in MiB)."),
  FB_RESERVED("Framebuffer memory reserved (in MiB)."),
  GPU_TEMP("GPU temperature (in C)."),
  POWER_USAGE("Power draw (in W)."),
  ENFORCED_POWER_LIMIT("Current power limit for the device (in W)."),
  SM_CLOCK("SM clock frequency (in MHz)."),
  MEM_CLOCK("Memory clock frequency (in MHz)."),
  VIDEO_CLOCK("Video encoder/decoder clock frequency (in MHz)."),
  ECC_SBE_VOL_TOTAL("Total number of single-bit volatile ECC errors."),
  ECC_DBE_VOL_TOTAL("Total number of double-bit volatile ECC errors."),
  ECC_SBE_AGG_TOTAL("Total number of single-bit persistent ECC errors."),
  ECC_DBE_AGG_TOTAL("Total number of double-bit persistent ECC errors."),
  CLOCK_THROTTLE_REASONS("Throttling reasons (NVML's bitmask)."),
  MIG_MODE("MIG mode enabled (1) or not (0).");

  private final String help;

  DcgmField(String help) { this.help = help; }

  /** dcgm-exporter's metric name, e.g. DCGM_FI_DEV_SM_CLOCK. */
  public String metric() { return "DCGM_FI_DEV_" + name(); }

  public String help() { return help; }
}
