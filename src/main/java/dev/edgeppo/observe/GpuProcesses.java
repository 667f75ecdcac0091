package dev.edgeppo.observe;

import java.util.HashMap;
import java.util.Map;

/**
 * One reading of one GPU's processes, keyed by host PID.
 *
 * @param memoryMib  running processes (compute and MPS clients) and the memory each holds, MiB; a null value
 *                   when NVML does not tell
 * @param smPercent  SM utilization per process since the previous reading (NVML leaves out processes that used
 *                   none, and may name a process that has just exited)
 */
public record GpuProcesses(Map<Integer, Long> memoryMib, Map<Integer, Double> smPercent) {
  public GpuProcesses {
    // Copies that allow null values (a process whose memory NVML does not report).
    memoryMib = java.util.Collections.unmodifiableMap(new HashMap<>(memoryMib));
    smPercent = Map.copyOf(smPercent);
  }
}
