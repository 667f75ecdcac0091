package dev.edgeppo.nvml;

import java.util.List;

/**
 * Everything one full reading of one GPU returns, copied out of native memory. A reading the device
 * (or the loaded NVML) does not support is null.
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

  public record Pci(String busId, int deviceId, int subsystemId) {}

  /** Bytes. {@code reserved} is null when only nvmlDeviceGetMemoryInfo (v1) answered: it counts it as used. */
  public record Memory(long total, long used, long free, Long reserved) {
    private static final long MIB = 1L << 20;

    public long totalMib() { return total / MIB; }

    public long usedMib() { return used / MIB; }

    public long freeMib() { return free / MIB; }
  }

  /** {@code usedGpuMemory} is null when NVML reports it as not available (e.g. without permission). */
  public record ProcessInfo(int pid, Long usedGpuMemory) {}

  /** MHz; a clock domain the device does not report is null. */
  public record Clocks(Integer graphics, Integer sm, Integer memory, Integer video) {}

  /** Single-bit (corrected) and double-bit (uncorrected) errors since the driver loaded and over the device's life. */
  public record Ecc(long correctedVolatile, long uncorrectedVolatile, long correctedAggregate, long uncorrectedAggregate) {}

  public record Mig(boolean enabled, boolean pendingEnabled) {}

  public Integer processCount() { return processes == null ? null : processes.size(); }
}
