package dev.edgeppo.nvml;

import static dev.edgeppo.nvml.gen.nvml_h.*;

import dev.edgeppo.nvml.gen.nvmlProcessInfo_st;
import dev.edgeppo.nvml.gen.nvmlProcessInfo_v1_st;
import dev.edgeppo.nvml.gen.nvmlProcessInfo_v2_st;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.function.Function;

/**
 * Running compute processes through the newest symbol the loaded library has (_v3, _v2, then the
 * unversioned one), each with its own struct layout: v1 lacks the GPU/compute instance ids.
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

  /** The MPS server's clients on a device, which the compute list shows only as the server itself. */
  static final String MPS_SYMBOL = "nvmlDeviceGetMPSComputeRunningProcesses_v3";

  /**
   * The clients of an MPS server, or null when the library has no such symbol (before R470, or the stand-in's
   * old variant). jextract was not available when this was added, so the symbol is bound here by hand rather
   * than through the generated nvml_h: nvml.h declares it with exactly the signature of
   * nvmlDeviceGetComputeRunningProcesses_v3 (device, unsigned int *infoCount, nvmlProcessInfo_t *infos), so
   * the generated descriptor and struct layout of that function are reused. Regenerating the bindings with
   * {@code --include-function nvmlDeviceGetMPSComputeRunningProcesses_v3} in nvml.symbols makes this the
   * same one-line lambda as the others.
   */
  static ProcessQuery mps() {
    if (!Nvml.exports(MPS_SYMBOL)) return null;
    MethodHandle h = Linker.nativeLinker().downcallHandle(SymbolLookup.loaderLookup().findOrThrow(MPS_SYMBOL),
        nvmlDeviceGetComputeRunningProcesses_v3$descriptor());
    return new ProcessQuery(MPS_SYMBOL, nvmlProcessInfo_st.layout(), (dev, count, buf) -> {
      try {
        return (int) h.invokeExact(dev, count, buf);
      } catch (Throwable t) {
        throw new IllegalStateException(MPS_SYMBOL + " could not be called", t);
      }
    }, nvmlProcessInfo_st::pid, nvmlProcessInfo_st::usedGpuMemory);
  }

  List<GpuReading.ProcessInfo> fetch(Arena arena, MemorySegment device) {
    return SizedList.fetch(arena, symbol, layout, (count, buf) -> call.invoke(device, count, buf), s -> {
      long bytes = usedBytes.apply(s);
      return new GpuReading.ProcessInfo(pid.apply(s), bytes == VALUE_NOT_AVAILABLE ? null : bytes);
    });
  }
}
