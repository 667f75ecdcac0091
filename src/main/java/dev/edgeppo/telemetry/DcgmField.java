package dev.edgeppo.telemetry;

import dev.edgeppo.nvml.GpuReading;
import java.util.function.Function;

/**
 * The gauges NVML telemetry exports under dcgm-exporter's names and units (MiB, W, MHz, °C, %), so that
 * dashboards and alerts written for dcgm-exporter read ours. The one list both the telemetry (keys of
 * {@link GpuSnapshot#extra()}, each read from NVML as its line says) and /metrics (metric names) use.
 */
public enum DcgmField {
  GPU_UTIL("GPU utilization (in %).", GpuReading::utilizationGpu),
  MEM_COPY_UTIL("Memory utilization (in %).", GpuReading::utilizationMemory),
  FB_TOTAL("Framebuffer memory total (in MiB).", r -> of(r.memory(), GpuReading.Memory::totalMib)),
  FB_USED("Framebuffer memory used (in MiB).", r -> of(r.memory(), GpuReading.Memory::usedMib)),
  FB_FREE("Framebuffer memory free (in MiB).", r -> of(r.memory(), GpuReading.Memory::freeMib)),
  FB_RESERVED("Framebuffer memory reserved (in MiB).", r -> of(r.memory(), GpuReading.Memory::reservedMib)),
  GPU_TEMP("GPU temperature (in C).", GpuReading::temperatureC),
  POWER_USAGE("Power draw (in W).", GpuReading::powerW),
  ENFORCED_POWER_LIMIT("Current power limit for the device (in W).", GpuReading::powerLimitW),
  SM_CLOCK("SM clock frequency (in MHz).", r -> of(r.clocks(), GpuReading.Clocks::sm)),
  MEM_CLOCK("Memory clock frequency (in MHz).", r -> of(r.clocks(), GpuReading.Clocks::memory)),
  VIDEO_CLOCK("Video encoder/decoder clock frequency (in MHz).", r -> of(r.clocks(), GpuReading.Clocks::video)),
  ECC_SBE_VOL_TOTAL("Total number of single-bit volatile ECC errors.", r -> of(r.ecc(), GpuReading.Ecc::correctedVolatile)),
  ECC_DBE_VOL_TOTAL("Total number of double-bit volatile ECC errors.", r -> of(r.ecc(), GpuReading.Ecc::uncorrectedVolatile)),
  ECC_SBE_AGG_TOTAL("Total number of single-bit persistent ECC errors.", r -> of(r.ecc(), GpuReading.Ecc::correctedAggregate)),
  ECC_DBE_AGG_TOTAL("Total number of double-bit persistent ECC errors.", r -> of(r.ecc(), GpuReading.Ecc::uncorrectedAggregate)),
  CLOCK_THROTTLE_REASONS("Throttling reasons (NVML's bitmask).", GpuReading::throttleReasons),
  MIG_MODE("MIG mode enabled (1) or not (0).", r -> of(r.mig(), m -> m.enabled() ? 1 : 0));

  private final String help;
  private final Function<GpuReading, Number> read;

  DcgmField(String help, Function<GpuReading, Number> read) {
    this.help = help;
    this.read = read;
  }

  /** A part of the reading the device may not report (null), and one value of it. */
  private static <T> Number of(T part, Function<T, Number> value) { return part == null ? null : value.apply(part); }

  /** This gauge's value in one NVML reading, in DCGM's units; null when the device does not report it. */
  public Number read(GpuReading r) { return read.apply(r); }

  /** dcgm-exporter's metric name, e.g. DCGM_FI_DEV_SM_CLOCK. */
  public String metric() { return "DCGM_FI_DEV_" + name(); }

  public String help() { return help; }
}
