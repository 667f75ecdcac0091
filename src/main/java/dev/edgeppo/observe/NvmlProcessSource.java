package dev.edgeppo.observe;

import dev.edgeppo.nvml.GpuReading;
import dev.edgeppo.nvml.Nvml;
import dev.edgeppo.nvml.NvmlException;
import dev.edgeppo.nvml.ProcessUtilization;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-process readings from NVML: running compute processes and MPS clients with their used memory
 * ({@code nvmlDeviceGetComputeRunningProcesses_v3}, {@code nvmlDeviceGetMPSComputeRunningProcesses_v3}), and
 * SM utilization per process since the newest sample seen on that GPU ({@code nvmlDeviceGetProcessUtilization}).
 */
public final class NvmlProcessSource implements ProcessSource {

  private final Nvml nvml;
  private final InstantSource clock;
  private final long lookbackMicros;
  /** Per GPU, the newest sample timestamp seen (NVML's CPU time, µs since the epoch). */
  private final Map<Integer, Long> lastSeen = new HashMap<>();

  /** @param lookback on a GPU's first reading, how far back samples count (one observation period) */
  public NvmlProcessSource(Nvml nvml, InstantSource clock, Duration lookback) {
    this.nvml = nvml;
    this.clock = clock;
    this.lookbackMicros = lookback.toNanos() / 1000;
  }

  @Override
  public GpuProcesses read(int gpu) {
    try {
      List<GpuReading.ProcessInfo> compute = nvml.computeProcesses(gpu);
      List<GpuReading.ProcessInfo> mps = nvml.mpsProcesses(gpu);
      if (compute == null && mps == null) {
        throw new SignalMissing(SkipReason.NO_PROCESS_LIST, "NVML cannot list the running processes of GPU " + gpu
            + " (" + (nvml.processSymbol() == null ? "no nvmlDeviceGetComputeRunningProcesses" : "not supported") + ")");
      }
      Map<Integer, Long> memory = new HashMap<>();
      addMemory(memory, compute);
      addMemory(memory, mps);
      // From the newest sample seen; but on a GPU's first reading, or after a pause in observing it (no pod
      // watched for ten look-backs), only the last look-back: older samples are of processes long gone.
      long nowMicros = clock.millis() * 1000;
      Long seen = lastSeen.get(gpu);
      long since = seen == null || seen < nowMicros - 10 * lookbackMicros ? nowMicros - lookbackMicros : seen;
      lastSeen.put(gpu, since);
      List<ProcessUtilization> samples = nvml.processUtilization(gpu, since);
      if (samples == null) {
        throw new SignalMissing(SkipReason.NO_PROCESS_UTILIZATION, "NVML gives no per-process utilization on GPU "
            + gpu + " (nvmlDeviceGetProcessUtilization " + (Nvml.exports("nvmlDeviceGetProcessUtilization")
            ? "answers Not Supported" : "is missing: a driver older than R340") + ")");
      }
      return new GpuProcesses(memory, meanSmPerPid(samples, gpu));
    } catch (NvmlException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** A process listed twice (an MPS client also in the compute list) holds its memory once; unknown stays unknown. */
  private static void addMemory(Map<Integer, Long> memory, List<GpuReading.ProcessInfo> list) {
    if (list == null) return;
    for (GpuReading.ProcessInfo p : list) {
      Long mib = p.usedMib();
      if (!memory.containsKey(p.pid())) memory.put(p.pid(), mib);
      else {
        Long had = memory.get(p.pid());
        memory.put(p.pid(), had == null || mib == null ? null : Math.max(had, mib));
      }
    }
  }

  /** Mean SM % per PID over the samples (NVML returns one per process per query; older drivers several). */
  private Map<Integer, Double> meanSmPerPid(List<ProcessUtilization> samples, int gpu) {
    Map<Integer, double[]> acc = new HashMap<>();
    long newest = lastSeen.get(gpu);
    for (ProcessUtilization u : samples) {
      double[] a = acc.computeIfAbsent(u.pid(), p -> new double[2]);
      a[0] += u.smUtil();
      a[1]++;
      newest = Math.max(newest, u.timestampMicros());
    }
    lastSeen.put(gpu, newest);
    Map<Integer, Double> out = new HashMap<>();
    acc.forEach((pid, a) -> out.put(pid, a[0] / a[1]));
    return out;
  }
}
