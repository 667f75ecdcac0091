package dev.edgeppo.nvml;

import java.util.List;

/**
 * Everything one full reading of one GPU returns, copied out of native memory, in NVML's own units
 * (bytes, milliwatts), with their conversion to the units everything else uses (MiB, W) written once
 * here. The agent sees it as a {@code telemetry.GpuSnapshot}, derived from it in {@code GpuSnapshot.of};
 * gpu-diag's table, the pod observer and the benchmarks read what only NVML has (bus id, clocks, ECC,
 * per-process memory). A reading the device (or the loaded NVML) does not support is null.
 *
 * @param utilizationGpu    percent of the last sample period a kernel ran
 * @param utilizationMemory percent of the period device memory was read or written
 * @param processes         running compute processes, null when NVML cannot list them
 * @param powerMw           current draw, milliwatts
 * @param powerLimitMw      enforced power limit, milliwatts
 * @param throttleReasons   nvmlClocksThrottleReason* bitmask
 */
public record GpuReading(int index, String name, String uuid, Pci pci, Integer utilizationGpu,
                         Integer utilizationMemory, Memory memory, List<ProcessInfo> processes, Integer temperatureC,
                         Integer powerMw, Integer powerLimitMw, Clocks clocks, Ecc ecc, Long throttleReasons,
                         Mig mig) {
  public GpuReading {
    processes = processes == null ? null : List.copyOf(processes);
  }

  private static final long MIB = 1L << 20;

  /** Whole MiB of a byte count (rounded down, as nvidia-smi shows them). */
  public static long mib(long bytes) { return bytes / MIB; }

  private static Double watts(Integer mw) { return mw == null ? null : mw / 1000.0; }

  /** Current draw in W. */
  public Double powerW() { return watts(powerMw); }

  /** Enforced power limit in W. */
  public Double powerLimitW() { return watts(powerLimitMw); }

  public record Pci(String busId, int deviceId, int subsystemId) {}

  /** Bytes. {@code reserved} is null when only nvmlDeviceGetMemoryInfo (v1) answered: it counts it as used. */
  public record Memory(long total, long used, long free, Long reserved) {
    public long totalMib() { return mib(total); }

    public long usedMib() { return mib(used); }

    public long freeMib() { return mib(free); }

    public Long reservedMib() { return reserved == null ? null : mib(reserved); }
  }

  /** {@code usedGpuMemory} (bytes) is null when NVML reports it as not available (e.g. without permission). */
  public record ProcessInfo(int pid, Long usedGpuMemory) {
    public Long usedMib() { return usedGpuMemory == null ? null : mib(usedGpuMemory); }
  }

  /** MHz; a clock domain the device does not report is null. */
  public record Clocks(Integer graphics, Integer sm, Integer memory, Integer video) {}

  /** Single-bit (corrected) and double-bit (uncorrected) errors since the driver loaded and over the device's life. */
  public record Ecc(long correctedVolatile, long uncorrectedVolatile, long correctedAggregate, long uncorrectedAggregate) {}

  public record Mig(boolean enabled, boolean pendingEnabled) {}

  public Integer processCount() { return processes == null ? null : processes.size(); }
}
