package dev.edgeppo.nvml;

import static dev.edgeppo.nvml.gen.nvml_h.*;

import dev.edgeppo.nvml.gen.nvmlMemory_st;
import dev.edgeppo.nvml.gen.nvmlMemory_v2_st;
import dev.edgeppo.nvml.gen.nvmlPciInfo_st;
import dev.edgeppo.nvml.gen.nvmlProcessUtilizationSample_st;
import dev.edgeppo.nvml.gen.nvmlUtilization_st;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The agent's handle on NVML: owns one nvmlInit_v2/nvmlShutdown pair and reads GPUs through the
 * jextract-generated bindings. Thread-safe (NVML is; each call works in its own confined arena, so no
 * native memory outlives a call). A reading the device or the loaded library does not support is null;
 * every other NVML failure is an {@link NvmlException} with NVML's text.
 */
public final class Nvml implements AutoCloseable {
  /** Mandatory: without these the library is no NVML we can use. */
  private static final List<String> REQUIRED = List.of("nvmlInit_v2", "nvmlShutdown", "nvmlErrorString",
      "nvmlDeviceGetCount_v2", "nvmlDeviceGetHandleByIndex_v2");
  /** Optional: an older driver may lack them, which makes their reading "not supported". */
  private static final List<String> OPTIONAL = List.of("nvmlSystemGetDriverVersion", "nvmlSystemGetNVMLVersion",
      "nvmlDeviceGetName", "nvmlDeviceGetUUID", "nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetUtilizationRates",
      "nvmlDeviceGetMemoryInfo_v2", "nvmlDeviceGetMemoryInfo", "nvmlDeviceGetComputeRunningProcesses_v3",
      "nvmlDeviceGetComputeRunningProcesses_v2", "nvmlDeviceGetComputeRunningProcesses",
      "nvmlDeviceGetMPSComputeRunningProcesses_v3",
      "nvmlDeviceGetProcessUtilization", "nvmlDeviceGetTemperature", "nvmlDeviceGetPowerUsage",
      "nvmlDeviceGetEnforcedPowerLimit", "nvmlDeviceGetClockInfo", "nvmlDeviceGetTotalEccErrors",
      "nvmlDeviceGetCurrentClocksThrottleReasons", "nvmlDeviceGetMigMode");

  private final Path library;
  private final ProcessQuery processQuery;
  private final ProcessQuery mpsQuery;
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed;

  private Nvml(Path library) {
    this.library = library;
    this.processQuery = ProcessQuery.best();
    this.mpsQuery = ProcessQuery.mps();
  }

  /** The library of $EDGEPPO_NVML_LIBRARY, or the system's libnvidia-ml.so.1. */
  public static Nvml open() { return open(NvmlLibrary.configured()); }

  /** Loads {@code library} (path or soname) and initialises NVML; throws {@link NvmlException} with NVML's text. */
  public static Nvml open(String library) {
    List<String> all = new ArrayList<>(REQUIRED);
    all.addAll(OPTIONAL);
    Path path = NvmlLibrary.load(library, all);
    for (String s : REQUIRED) {
      if (!NvmlLibrary.exports(s)) {
        throw new NvmlException(s, NvmlReturn.FUNCTION_NOT_FOUND.code(),
            "Function Not Found: " + path + " has no " + s + " (NVML older than R450?)");
      }
    }
    check("nvmlInit_v2", nvmlInit_v2());
    return new Nvml(path);
  }

  /** The absolute path of the loaded library. */
  public Path library() { return library; }

  /** Whether the loaded library exports {@code symbol} (only the symbols this wrapper uses are known). */
  public static boolean exports(String symbol) { return NvmlLibrary.exports(symbol); }

  /** Which running-processes symbol this library answers through: _v3, _v2 or the unversioned one; null if none. */
  public String processSymbol() { return processQuery == null ? null : processQuery.symbol(); }

  /** The kernel driver's version, e.g. "535.104.05"; null when not supported. */
  public String driverVersion() {
    return guarded(() -> optional("nvmlSystemGetDriverVersion", () -> text("nvmlSystemGetDriverVersion",
        NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE(), (buf, len) -> nvmlSystemGetDriverVersion(buf, len))));
  }

  /** NVML's own version, e.g. "12.535.104.05"; null when not supported. */
  public String nvmlVersion() {
    return guarded(() -> optional("nvmlSystemGetNVMLVersion", () -> text("nvmlSystemGetNVMLVersion",
        NVML_SYSTEM_NVML_VERSION_BUFFER_SIZE(), (buf, len) -> nvmlSystemGetNVMLVersion(buf, len))));
  }

  public int deviceCount() {
    return guarded(() -> {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment count = arena.allocate(C_INT);
        check("nvmlDeviceGetCount_v2", nvmlDeviceGetCount_v2(count));
        return count.get(C_INT, 0);
      }
    });
  }

  /** A full reading of every GPU, in index order. */
  public List<GpuReading> readAll() {
    return guarded(() -> {
      int n = deviceCount();
      List<GpuReading> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) out.add(readUnguarded(i));
      return out;
    });
  }

  /** A full reading of GPU {@code index}: identity, utilization, memory, processes, thermal, power, clocks, ECC. */
  public GpuReading read(int index) { return guarded(() -> readUnguarded(index)); }

  /**
   * Per-process utilization samples newer than {@code sinceMicros} (0 = all the driver keeps), stamped with
   * the CPU time in µs since the epoch. Empty when there is none (NVML_ERROR_NOT_FOUND), null when unsupported
   * (no symbol, NOT_SUPPORTED). NVML leaves out a process that used nothing since then, so a running process
   * without a sample used no SM.
   */
  public List<ProcessUtilization> processUtilization(int index, long sinceMicros) {
    return guarded(() -> {
      if (!exports("nvmlDeviceGetProcessUtilization")) return null;
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment dev = handle(arena, index);
        try {
          return SizedList.fetch(arena, "nvmlDeviceGetProcessUtilization", nvmlProcessUtilizationSample_st.layout(),
              (count, buf) -> nvmlDeviceGetProcessUtilization(dev, buf, count, sinceMicros),
              s -> new ProcessUtilization(nvmlProcessUtilizationSample_st.pid(s),
                  nvmlProcessUtilizationSample_st.smUtil(s), nvmlProcessUtilizationSample_st.memUtil(s),
                  nvmlProcessUtilizationSample_st.encUtil(s), nvmlProcessUtilizationSample_st.decUtil(s),
                  nvmlProcessUtilizationSample_st.timeStamp(s)));
        } catch (NvmlException e) {
          if (e.code() == NvmlReturn.NOT_FOUND) return List.of();
          // A device (or vGPU) without per-process accounting: "no reading", like every optional reading.
          if (e.code() == NvmlReturn.NOT_SUPPORTED || e.code() == NvmlReturn.FUNCTION_NOT_FOUND) return null;
          throw e;
        }
      }
    });
  }

  /**
   * The compute processes running on GPU {@code index} with their used memory, through the newest symbol the
   * library has; null when it cannot list them (no symbol, NOT_SUPPORTED). A process whose memory NVML does not
   * tell has a null {@code usedGpuMemory}.
   */
  public List<GpuReading.ProcessInfo> computeProcesses(int index) {
    return guarded(() -> {
      if (processQuery == null) return null;
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment dev = handle(arena, index);
        return optional(processQuery.symbol(), () -> processQuery.fetch(arena, dev));
      }
    });
  }

  /**
   * The clients of the MPS server on GPU {@code index} (nvmlDeviceGetMPSComputeRunningProcesses_v3); empty
   * where no MPS server runs, null when the library cannot list them.
   */
  public List<GpuReading.ProcessInfo> mpsProcesses(int index) {
    return guarded(() -> {
      if (mpsQuery == null) return null;
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment dev = handle(arena, index);
        return optional(mpsQuery.symbol(), () -> mpsQuery.fetch(arena, dev));
      }
    });
  }

  /** nvmlShutdown, once; later calls on this object throw IllegalStateException. */
  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) return;
      closed = true;
      check("nvmlShutdown", nvmlShutdown());
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  // ---- one GPU ----

  private GpuReading readUnguarded(int index) {
    // One arena for the whole reading: every scratch buffer is freed when the reading is copied out.
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment dev = handle(arena, index);
      MemorySegment u32 = arena.allocate(C_INT);
      MemorySegment u64 = arena.allocate(C_LONG_LONG);

      String name = optional("nvmlDeviceGetName", () -> text("nvmlDeviceGetName", NVML_DEVICE_NAME_V2_BUFFER_SIZE(),
          (buf, len) -> nvmlDeviceGetName(dev, buf, len)));
      String uuid = optional("nvmlDeviceGetUUID", () -> text("nvmlDeviceGetUUID", NVML_DEVICE_UUID_V2_BUFFER_SIZE(),
          (buf, len) -> nvmlDeviceGetUUID(dev, buf, len)));
      GpuReading.Pci pci = optional("nvmlDeviceGetPciInfo_v3", () -> {
        MemorySegment p = nvmlPciInfo_st.allocate(arena);
        check("nvmlDeviceGetPciInfo_v3", nvmlDeviceGetPciInfo_v3(dev, p));
        return new GpuReading.Pci(nvmlPciInfo_st.busId(p).getString(0), nvmlPciInfo_st.pciDeviceId(p),
            nvmlPciInfo_st.pciSubSystemId(p));
      });
      MemorySegment util = nvmlUtilization_st.allocate(arena);
      boolean hasUtil = Boolean.TRUE.equals(optional("nvmlDeviceGetUtilizationRates",
          () -> check("nvmlDeviceGetUtilizationRates", nvmlDeviceGetUtilizationRates(dev, util))));
      GpuReading.Memory memory = memory(arena, dev);
      List<GpuReading.ProcessInfo> processes = processQuery == null ? null
          : optional(processQuery.symbol(), () -> processQuery.fetch(arena, dev));
      Integer temp = optional("nvmlDeviceGetTemperature",
          () -> uint(u32, "nvmlDeviceGetTemperature", nvmlDeviceGetTemperature(dev, NVML_TEMPERATURE_GPU(), u32)));
      Integer power = optional("nvmlDeviceGetPowerUsage",
          () -> uint(u32, "nvmlDeviceGetPowerUsage", nvmlDeviceGetPowerUsage(dev, u32)));
      Integer limit = optional("nvmlDeviceGetEnforcedPowerLimit",
          () -> uint(u32, "nvmlDeviceGetEnforcedPowerLimit", nvmlDeviceGetEnforcedPowerLimit(dev, u32)));
      GpuReading.Clocks clocks = clocks(dev, u32);
      GpuReading.Ecc ecc = optional("nvmlDeviceGetTotalEccErrors", () -> new GpuReading.Ecc(
          ecc(dev, u64, NVML_MEMORY_ERROR_TYPE_CORRECTED(), NVML_VOLATILE_ECC()),
          ecc(dev, u64, NVML_MEMORY_ERROR_TYPE_UNCORRECTED(), NVML_VOLATILE_ECC()),
          ecc(dev, u64, NVML_MEMORY_ERROR_TYPE_CORRECTED(), NVML_AGGREGATE_ECC()),
          ecc(dev, u64, NVML_MEMORY_ERROR_TYPE_UNCORRECTED(), NVML_AGGREGATE_ECC())));
      Long throttle = optional("nvmlDeviceGetCurrentClocksThrottleReasons", () -> {
        check("nvmlDeviceGetCurrentClocksThrottleReasons", nvmlDeviceGetCurrentClocksThrottleReasons(dev, u64));
        return u64.get(C_LONG_LONG, 0);
      });
      GpuReading.Mig mig = optional("nvmlDeviceGetMigMode", () -> {
        MemorySegment pending = arena.allocate(C_INT);
        check("nvmlDeviceGetMigMode", nvmlDeviceGetMigMode(dev, u32, pending));
        return new GpuReading.Mig(u32.get(C_INT, 0) == NVML_DEVICE_MIG_ENABLE(),
            pending.get(C_INT, 0) == NVML_DEVICE_MIG_ENABLE());
      });
      return new GpuReading(index, name, uuid, pci,
          hasUtil ? nvmlUtilization_st.gpu(util) : null, hasUtil ? nvmlUtilization_st.memory(util) : null,
          memory, processes, temp, power, limit, clocks, ecc, throttle, mig);
    }
  }

  private static MemorySegment handle(Arena arena, int index) {
    if (index < 0) throw new IllegalArgumentException("GPU index must be >= 0, got " + index);
    MemorySegment out = arena.allocate(nvmlDevice_t);
    check("nvmlDeviceGetHandleByIndex_v2", nvmlDeviceGetHandleByIndex_v2(index, out));
    return out.get(nvmlDevice_t, 0);
  }

  /** v2 first: it reports the driver's reserved memory apart instead of counting it as used. */
  private static GpuReading.Memory memory(Arena arena, MemorySegment dev) {
    if (exports("nvmlDeviceGetMemoryInfo_v2")) {
      MemorySegment m = nvmlMemory_v2_st.allocate(arena);
      // NVML_STRUCT_VERSION(Memory, 2): a function-like macro, so jextract leaves it to us.
      nvmlMemory_v2_st.version(m, (int) nvmlMemory_v2_st.sizeof() | (2 << 24));
      int rc = nvmlDeviceGetMemoryInfo_v2(dev, m);
      if (rc == NVML_SUCCESS()) {
        return new GpuReading.Memory(nvmlMemory_v2_st.total(m), nvmlMemory_v2_st.used(m), nvmlMemory_v2_st.free(m),
            nvmlMemory_v2_st.reserved(m));
      }
      if (rc == NVML_ERROR_NOT_SUPPORTED()) return null;
      // A driver that has the symbol but not this struct version answers so; v1 still works there.
      if (rc != NVML_ERROR_ARGUMENT_VERSION_MISMATCH() && rc != NVML_ERROR_FUNCTION_NOT_FOUND()) {
        check("nvmlDeviceGetMemoryInfo_v2", rc);
      }
    }
    return optional("nvmlDeviceGetMemoryInfo", () -> {
      MemorySegment m = nvmlMemory_st.allocate(arena);
      check("nvmlDeviceGetMemoryInfo", nvmlDeviceGetMemoryInfo(dev, m));
      return new GpuReading.Memory(nvmlMemory_st.total(m), nvmlMemory_st.used(m), nvmlMemory_st.free(m), null);
    });
  }

  private static GpuReading.Clocks clocks(MemorySegment dev, MemorySegment u32) {
    if (!exports("nvmlDeviceGetClockInfo")) return null;
    Integer graphics = clock(dev, u32, NVML_CLOCK_GRAPHICS());
    Integer sm = clock(dev, u32, NVML_CLOCK_SM());
    Integer mem = clock(dev, u32, NVML_CLOCK_MEM());
    Integer video = clock(dev, u32, NVML_CLOCK_VIDEO());
    return graphics == null && sm == null && mem == null && video == null ? null
        : new GpuReading.Clocks(graphics, sm, mem, video);
  }

  private static Integer clock(MemorySegment dev, MemorySegment u32, int type) {
    return optional("nvmlDeviceGetClockInfo", () -> uint(u32, "nvmlDeviceGetClockInfo", nvmlDeviceGetClockInfo(dev, type, u32)));
  }

  private static long ecc(MemorySegment dev, MemorySegment u64, int errorType, int counter) {
    check("nvmlDeviceGetTotalEccErrors", nvmlDeviceGetTotalEccErrors(dev, errorType, counter, u64));
    return u64.get(C_LONG_LONG, 0);
  }

  // ---- helpers ----

  private interface TextCall {
    int invoke(MemorySegment buffer, int length);
  }

  private static String text(String function, int size, TextCall call) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buf = arena.allocate(size);
      check(function, call.invoke(buf, size));
      return buf.getString(0);
    }
  }

  private static Integer uint(MemorySegment u32, String function, int rc) {
    check(function, rc);
    // unsigned int readings (MHz, mW, °C) stay far below 2^31; a wrapped value would be a driver bug.
    return u32.get(C_INT, 0);
  }

  /** Runs a reading; a missing symbol or NVML_ERROR_NOT_SUPPORTED makes it null, any other failure throws. */
  private static <T> T optional(String symbol, Supplier<T> reading) {
    if (!exports(symbol)) return null;
    try {
      return reading.get();
    } catch (NvmlException e) {
      if (e.code() == NvmlReturn.NOT_SUPPORTED || e.code() == NvmlReturn.FUNCTION_NOT_FOUND) return null;
      throw e;
    }
  }

  /** Turns a return code into an exception with nvmlErrorString's text; returns true on success. */
  static boolean check(String function, int rc) {
    if (rc == NVML_SUCCESS()) return true;
    MemorySegment s = nvmlErrorString(rc);
    String text = s.equals(MemorySegment.NULL) ? "Unknown Error" : s.reinterpret(Long.MAX_VALUE).getString(0);
    throw new NvmlException(function, rc, text);
  }

  private <T> T guarded(Supplier<T> body) {
    lifecycle.readLock().lock();
    try {
      if (closed) throw new IllegalStateException("NVML handle is closed");
      return body.get();
    } finally {
      lifecycle.readLock().unlock();
    }
  }
}
