package dev.edgeppo.nvml;

import static dev.edgeppo.nvml.gen.nvml_h.*;

import dev.edgeppo.nvml.gen.nvmlProcessInfo_st;
import dev.edgeppo.nvml.gen.nvmlProcessInfo_v1_st;
import dev.edgeppo.nvml.gen.nvmlProcessInfo_v2_st;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.Function;

/**
 * Running compute processes through the newest symbol the loaded library has (_v3, _v2, then the
 * unversioned one), each with its own struct layout: v1 lacks the GPU/compute instance ids; and the clients
 * of an MPS server (_v3 only).
 */
record ProcessQuery(String symbol, MemoryLayout layout, DeviceCall call, Function<MemorySegment, Integer> pid,
                    Function<MemorySegment, Long> usedBytes) {
  /** NVML_VALUE_NOT_AVAILABLE: usedGpuMemory when the driver may not tell (e.g. without permission). */
  private static final long VALUE_NOT_AVAILABLE = -1L;

  interface DeviceCall {
    int invoke(MemorySegment device, MemorySegment count, MemorySegment infos);
  }

  /** The newest the library exports, or null when it lists no processes at all. */
  static ProcessQuery best() {
    if (Nvml.exports("nvmlDeviceGetComputeRunningProcesses_v3")) {
      return new ProcessQuery("nvmlDeviceGetComputeRunningProcesses_v3", nvmlProcessInfo_st.layout(),
          (dev, count, buf) -> nvmlDeviceGetComputeRunningProcesses_v3(dev, count, buf),
          nvmlProcessInfo_st::pid, nvmlProcessInfo_st::usedGpuMemory);
    }
    if (Nvml.exports("nvmlDeviceGetComputeRunningProcesses_v2")) {
      return new ProcessQuery("nvmlDeviceGetComputeRunningProcesses_v2", nvmlProcessInfo_v2_st.layout(),
          (dev, count, buf) -> nvmlDeviceGetComputeRunningProcesses_v2(dev, count, buf),
          nvmlProcessInfo_v2_st::pid, nvmlProcessInfo_v2_st::usedGpuMemory);
    }
    if (Nvml.exports("nvmlDeviceGetComputeRunningProcesses")) {
      return new ProcessQuery("nvmlDeviceGetComputeRunningProcesses", nvmlProcessInfo_v1_st.layout(),
          (dev, count, buf) -> nvmlDeviceGetComputeRunningProcesses(dev, count, buf),
          nvmlProcessInfo_v1_st::pid, nvmlProcessInfo_v1_st::usedGpuMemory);
    }
    return null;
  }

  /**
   * The clients of an MPS server on a device, which the compute list shows only as the server itself; null
   * when the library has no such symbol (before R470, or the stand-in's old variant). Only _v3 is used: it
   * shares nvmlProcessInfo_t with nvmlDeviceGetComputeRunningProcesses_v3.
   */
  static ProcessQuery mps() {
    if (!Nvml.exports("nvmlDeviceGetMPSComputeRunningProcesses_v3")) return null;
    return new ProcessQuery("nvmlDeviceGetMPSComputeRunningProcesses_v3", nvmlProcessInfo_st.layout(),
        (dev, count, buf) -> nvmlDeviceGetMPSComputeRunningProcesses_v3(dev, count, buf),
        nvmlProcessInfo_st::pid, nvmlProcessInfo_st::usedGpuMemory);
  }

  List<GpuReading.ProcessInfo> fetch(Arena arena, MemorySegment device) {
    return SizedList.fetch(arena, symbol, layout, (count, buf) -> call.invoke(device, count, buf), s -> {
      long bytes = usedBytes.apply(s);
      return new GpuReading.ProcessInfo(pid.apply(s), bytes == VALUE_NOT_AVAILABLE ? null : bytes);
    });
  }
}
