package dev.edgeppo.nvml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The wrapper through real native calls into the scripted stand-in; expected values are the script's. */
class NvmlTest {
  private static final long MIB = 1 << 20;

  @Test
  void readsWhatTheScriptSaysForEveryGpu() {
    try (Nvml nvml = StandIn.open(StandIn.TWO_GPUS)) {
      assertEquals("535.104.05", nvml.driverVersion());
      assertEquals("12.535.104.05", nvml.nvmlVersion());
      assertEquals(2, nvml.deviceCount());
      List<GpuReading> all = nvml.readAll();
      assertEquals(2, all.size());

      GpuReading a2 = all.get(0);
      assertEquals(0, a2.index());
      assertEquals("NVIDIA A2", a2.name());
      assertEquals("GPU-7c0c5a2e-0000-4000-8000-000000000001", a2.uuid());
      assertEquals(new GpuReading.Pci("00000000:17:00.0", 0x25B610DE, 0x157E10DE), a2.pci());
      assertEquals(45, a2.utilizationGpu());
      assertEquals(30, a2.utilizationMemory());
      // v2: reserved apart from used; free is what neither takes.
      assertEquals(new GpuReading.Memory(16106127360L, 4831838208L, 16106127360L - 4831838208L - 314572800L, 314572800L),
          a2.memory());
      assertEquals(15360, a2.memory().totalMib());
      assertEquals(4608, a2.memory().usedMib());
      assertEquals(List.of(new GpuReading.ProcessInfo(4242, 1073741824L), new GpuReading.ProcessInfo(4343, 536870912L)),
          a2.processes());
      assertEquals(51, a2.temperatureC());
      assertEquals(61234, a2.powerMw());
      assertEquals(60000, a2.powerLimitMw());
      assertEquals(new GpuReading.Clocks(1710, 1770, 6251, 1650), a2.clocks());
      assertEquals(new GpuReading.Ecc(3, 1, 10, 2), a2.ecc());
      assertEquals(0x24L, a2.throttleReasons());
      assertEquals(List.of("SW Power Cap", "SW Thermal Slowdown"), ThrottleReasons.names(a2.throttleReasons()));
      assertEquals(new GpuReading.Mig(true, false), a2.mig());

      GpuReading t4 = all.get(1);
      assertEquals("Tesla T4", t4.name());
      assertEquals(0, t4.utilizationGpu());
      assertEquals(7, t4.utilizationMemory());
      assertEquals(List.of(), t4.processes());
      assertEquals(t4, nvml.read(1));
    }
  }

  @Test
  void prefersTheNewestProcessAndMemorySymbols() {
    try (Nvml nvml = StandIn.open(StandIn.TWO_GPUS)) {
      nvml.read(0);
      assertEquals("nvmlDeviceGetComputeRunningProcesses_v3", nvml.processSymbol());
      assertTrue(StandIn.calls("nvmlDeviceGetComputeRunningProcesses_v3") > 0);
      assertEquals(0, StandIn.calls("nvmlDeviceGetComputeRunningProcesses_v2"));
      assertEquals(0, StandIn.calls("nvmlDeviceGetComputeRunningProcesses"));
      assertEquals(1, StandIn.calls("nvmlDeviceGetMemoryInfo_v2"));
      // The stand-in checks the struct's version word; a wrong one would have sent us to v1.
      assertEquals(0, StandIn.calls("nvmlDeviceGetMemoryInfo"));
    }
  }

  /** A driver with the _v2 symbol but another struct version: v1 answers, counting reserved memory as used. */
  @Test
  void memoryFallsBackToV1OnVersionMismatch() {
    try (Nvml nvml = StandIn.open("fail nvmlDeviceGetMemoryInfo_v2 25\n" + StandIn.TWO_GPUS)) {
      assertEquals(new GpuReading.Memory(16106127360L, 4831838208L + 314572800L, 16106127360L - 4831838208L - 314572800L,
          null), nvml.read(0).memory());
      assertEquals(1, StandIn.calls("nvmlDeviceGetMemoryInfo"));
    }
  }

  @Test
  void aGpuThatReportsNothingHasNullReadings() {
    try (Nvml nvml = StandIn.open("gpu\n")) {
      GpuReading r = nvml.read(0);
      assertEquals(new GpuReading(0, null, null, null, null, null, null, List.of(), null, null, null, null, null, null,
          null), r);
      assertNull(nvml.driverVersion());
      assertNull(nvml.nvmlVersion());
    }
  }

  /** One reading unsupported leaves the others intact. (A rule before the first `gpu` applies to every GPU.) */
  @ParameterizedTest
  @ValueSource(strings = {"nvmlDeviceGetName", "nvmlDeviceGetUUID", "nvmlDeviceGetPciInfo_v3",
      "nvmlDeviceGetUtilizationRates", "nvmlDeviceGetMemoryInfo_v2", "nvmlDeviceGetComputeRunningProcesses_v3",
      "nvmlDeviceGetTemperature", "nvmlDeviceGetPowerUsage", "nvmlDeviceGetEnforcedPowerLimit",
      "nvmlDeviceGetClockInfo", "nvmlDeviceGetTotalEccErrors", "nvmlDeviceGetCurrentClocksThrottleReasons",
      "nvmlDeviceGetMigMode"})
  void notSupportedMakesThatReadingNull(String function) {
    GpuReading full;
    try (Nvml nvml = StandIn.open(StandIn.TWO_GPUS)) {
      full = nvml.read(0);
    }
    try (Nvml nvml = StandIn.open("fail " + function + " 3\n" + StandIn.TWO_GPUS)) {
      GpuReading r = nvml.read(0);
      GpuReading expected = switch (function) {
        case "nvmlDeviceGetName" -> with(full, 1);
        case "nvmlDeviceGetUUID" -> with(full, 2);
        case "nvmlDeviceGetPciInfo_v3" -> with(full, 3);
        case "nvmlDeviceGetUtilizationRates" -> with(full, 4, 5);
        case "nvmlDeviceGetMemoryInfo_v2" -> with(full, 6);
        case "nvmlDeviceGetComputeRunningProcesses_v3" -> with(full, 7);
        case "nvmlDeviceGetTemperature" -> with(full, 8);
        case "nvmlDeviceGetPowerUsage" -> with(full, 9);
        case "nvmlDeviceGetEnforcedPowerLimit" -> with(full, 10);
        case "nvmlDeviceGetClockInfo" -> with(full, 11);
        case "nvmlDeviceGetTotalEccErrors" -> with(full, 12);
        case "nvmlDeviceGetCurrentClocksThrottleReasons" -> with(full, 13);
        case "nvmlDeviceGetMigMode" -> with(full, 14);
        default -> throw new AssertionError(function);
      };
      assertEquals(expected, r);
    }
  }

  /** {@code full} with the record components at {@code nulled} (declaration order) set to null. */
  private static GpuReading with(GpuReading full, int... nulled) {
    Object[] v = {full.index(), full.name(), full.uuid(), full.pci(), full.utilizationGpu(), full.utilizationMemory(),
        full.memory(), full.processes(), full.temperatureC(), full.powerMw(), full.powerLimitMw(), full.clocks(),
        full.ecc(), full.throttleReasons(), full.mig()};
    for (int i : nulled) v[i] = null;
    return new GpuReading((int) v[0], (String) v[1], (String) v[2], (GpuReading.Pci) v[3], (Integer) v[4],
        (Integer) v[5], (GpuReading.Memory) v[6], castList(v[7]), (Integer) v[8], (Integer) v[9], (Integer) v[10],
        (GpuReading.Clocks) v[11], (GpuReading.Ecc) v[12], (Long) v[13], (GpuReading.Mig) v[14]);
  }

  @SuppressWarnings("unchecked")
  private static List<GpuReading.ProcessInfo> castList(Object o) { return (List<GpuReading.ProcessInfo>) o; }

  /** Every failure but "not supported" surfaces as an exception naming the call, with NVML's text. */
  @ParameterizedTest
  @ValueSource(strings = {"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetName", "nvmlDeviceGetUUID",
      "nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetUtilizationRates", "nvmlDeviceGetMemoryInfo_v2",
      "nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetTemperature", "nvmlDeviceGetPowerUsage",
      "nvmlDeviceGetEnforcedPowerLimit", "nvmlDeviceGetClockInfo", "nvmlDeviceGetTotalEccErrors",
      "nvmlDeviceGetCurrentClocksThrottleReasons", "nvmlDeviceGetMigMode"})
  void aFailingCallThrowsWithNvmlText(String function) {
    try (Nvml nvml = StandIn.open(StandIn.TWO_GPUS + "fail " + function + " 15\n")) {
      NvmlException e = assertThrows(NvmlException.class, () -> nvml.read(1));
      assertEquals(NvmlReturn.GPU_IS_LOST, e.code());
      assertEquals(function, e.function());
      assertEquals("GPU is lost", e.nvmlText());
      assertTrue(e.getMessage().contains("GPU is lost"), e.getMessage());
      // Scripted for GPU 1 only: GPU 0 still reads.
      assertEquals("NVIDIA A2", nvml.read(0).name());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"nvmlSystemGetDriverVersion", "nvmlSystemGetNVMLVersion", "nvmlDeviceGetCount_v2"})
  void aFailingSystemCallThrows(String function) {
    try (Nvml nvml = StandIn.open(StandIn.TWO_GPUS.replaceFirst("gpu\n", "fail " + function + " 999\ngpu\n"))) {
      NvmlException e = assertThrows(NvmlException.class, () -> {
        nvml.driverVersion();
        nvml.nvmlVersion();
        nvml.readAll();
      });
      assertEquals(function, e.function());
      assertEquals(NvmlReturn.UNKNOWN, e.code());
      assertEquals("Unknown Error", e.nvmlText());
    }
  }

  /** Each code maps to its enum constant and the library's own text. */
  @ParameterizedTest
  @EnumSource(value = NvmlReturn.class, names = {"SUCCESS", "NOT_SUPPORTED", "FUNCTION_NOT_FOUND"}, mode = EnumSource.Mode.EXCLUDE)
  void everyReturnCodeBecomesItsException(NvmlReturn code) {
    try (Nvml nvml = StandIn.open(StandIn.TWO_GPUS + "fail nvmlDeviceGetPowerUsage " + code.code() + "\n")) {
      NvmlException e = assertThrows(NvmlException.class, () -> nvml.read(1));
      assertEquals(code, e.code());
      assertEquals(code.code(), e.rawCode());
      assertEquals(ErrorTexts.REAL_535.get(code.code()), e.nvmlText());
    }
  }

  /** "Local version of NVML doesn't implement this function": a missing reading, like a missing symbol. */
  @Test
  void functionNotFoundCountsAsNotSupported() {
    try (Nvml nvml = StandIn.open("fail nvmlDeviceGetTemperature 13\n" + StandIn.TWO_GPUS)) {
      assertNull(nvml.read(0).temperatureC());
      assertEquals(61234, nvml.read(0).powerMw());
    }
  }

  @Test
  void initFailureCarriesNvmlTextAndLeavesNothingInitialised() {
    StandIn.script("fail nvmlInit_v2 9\n");
    NvmlException e = assertThrows(NvmlException.class, () -> Nvml.open(StandIn.LIBRARY.toString()));
    assertEquals(NvmlReturn.DRIVER_NOT_LOADED, e.code());
    assertEquals("nvmlInit_v2", e.function());
    assertEquals("Driver Not Loaded", e.nvmlText());
    assertEquals(0, StandIn.initCount());
  }

  @Test
  void closeShutsDownOnceAndLaterUseIsRefused() {
    Nvml nvml = StandIn.open(StandIn.TWO_GPUS);
    assertEquals(1, StandIn.initCount());
    nvml.close();
    assertEquals(0, StandIn.initCount());
    nvml.close();
    assertEquals(0, StandIn.initCount());
    assertThrows(IllegalStateException.class, () -> nvml.read(0));
  }

  @Test
  void badIndexIsNvmlsInvalidArgument() {
    try (Nvml nvml = StandIn.open(StandIn.TWO_GPUS)) {
      assertEquals(NvmlReturn.INVALID_ARGUMENT, assertThrows(NvmlException.class, () -> nvml.read(2)).code());
      assertThrows(IllegalArgumentException.class, () -> nvml.read(-1));
    }
  }

  // ---- NVML's two-call list protocol ----

  @Test
  void processesAppearingBetweenSizeQueryAndFetchAreRetried() {
    try (Nvml nvml = StandIn.open("short nvmlDeviceGetComputeRunningProcesses_v3 2\n" + StandIn.TWO_GPUS)) {
      assertEquals(List.of(4242, 4343), nvml.read(0).processes().stream().map(GpuReading.ProcessInfo::pid).toList());
      // size query, two fetches answered "too small", the fetch that fits
      assertEquals(4, StandIn.calls("nvmlDeviceGetComputeRunningProcesses_v3"));
    }
  }

  @Test
  void aListThatNeverFitsGivesUpWithInsufficientSize() {
    try (Nvml nvml = StandIn.open("short nvmlDeviceGetComputeRunningProcesses_v3 100\n" + StandIn.TWO_GPUS)) {
      NvmlException e = assertThrows(NvmlException.class, () -> nvml.read(0));
      assertEquals(NvmlReturn.INSUFFICIENT_SIZE, e.code());
      assertEquals("Insufficient Size", e.nvmlText());
      assertEquals(1 + SizedList.ATTEMPTS, StandIn.calls("nvmlDeviceGetComputeRunningProcesses_v3"));
    }
  }

  @Test
  void manyProcessesAreAllListed() {
    StringBuilder script = new StringBuilder("gpu\n");
    List<GpuReading.ProcessInfo> expected = new ArrayList<>();
    for (int pid = 1000; pid < 1040; pid++) {
      script.append("process ").append(pid).append(' ').append(pid * MIB).append('\n');
      expected.add(new GpuReading.ProcessInfo(pid, pid * MIB));
    }
    script.append("process 7 18446744073709551615\n"); // NVML_VALUE_NOT_AVAILABLE
    expected.add(new GpuReading.ProcessInfo(7, null));
    try (Nvml nvml = StandIn.open(script.toString())) {
      assertEquals(expected, nvml.read(0).processes());
    }
  }

  @Test
  void processUtilizationSamplesNewerThanAskedFor() {
    try (Nvml nvml = StandIn.open(StandIn.TWO_GPUS)) {
      assertEquals(List.of(new ProcessUtilization(4242, 40, 20, 0, 0, 1700000000000000L),
          new ProcessUtilization(4343, 5, 1, 0, 0, 1700000000500000L)), nvml.processUtilization(0, 0));
      assertEquals(List.of(new ProcessUtilization(4343, 5, 1, 0, 0, 1700000000500000L)),
          nvml.processUtilization(0, 1700000000000000L));
      // NVML answers NOT_FOUND when no sample is newer: that is an empty list, not an error.
      assertEquals(List.of(), nvml.processUtilization(0, 1700000000500000L));
      assertEquals(List.of(), nvml.processUtilization(1, 0));
    }
  }

  @Test
  void liveSamplesAreStampedAtEachQueryAndNewerThanTheLastSeen() {
    try (Nvml nvml = StandIn.open("gpu\nprocess 4242 1048576\nprocutil 4242 61 7 0 0 now\n")) {
      long before = System.currentTimeMillis() * 1000;
      List<ProcessUtilization> first = nvml.processUtilization(0, before - 1);
      assertEquals(1, first.size());
      ProcessUtilization s = first.getFirst();
      assertEquals(4242, s.pid());
      assertEquals(61, s.smUtil());
      assertTrue(s.timestampMicros() >= before, "stamped with the query's CPU time in µs");
      // Asking since the newest stamp seen gets nothing new until time moves on.
      assertEquals(List.of(), nvml.processUtilization(0, s.timestampMicros() + 10_000_000L));
    }
  }

  @Test
  void processUtilizationNotSupportedIsNoReading() {
    try (Nvml nvml = StandIn.open("gpu\nprocess 4242 1048576\nfail nvmlDeviceGetProcessUtilization 3\n")) {
      assertNull(nvml.processUtilization(0, 0));
    }
    try (Nvml nvml = StandIn.open("gpu\nfail nvmlDeviceGetProcessUtilization 15\n")) {
      NvmlException e = assertThrows(NvmlException.class, () -> nvml.processUtilization(0, 0));
      assertEquals(NvmlReturn.GPU_IS_LOST, e.code(), "other failures stay errors");
    }
  }

  @Test
  void computeAndMpsProcessesWithTheirMemory() {
    try (Nvml nvml = StandIn.open("gpu\nprocess 4242 1073741824\nprocess 7 18446744073709551615\n"
        + "mps 5151 268435456\nmps 5252 536870912\ngpu\n")) {
      assertEquals(List.of(new GpuReading.ProcessInfo(4242, 1073741824L), new GpuReading.ProcessInfo(7, null)),
          nvml.computeProcesses(0));
      assertEquals(List.of(new GpuReading.ProcessInfo(5151, 268435456L), new GpuReading.ProcessInfo(5252, 536870912L)),
          nvml.mpsProcesses(0));
      assertEquals(List.of(), nvml.computeProcesses(1));
      assertEquals(List.of(), nvml.mpsProcesses(1), "no MPS server: no clients");
      assertTrue(StandIn.calls("nvmlDeviceGetMPSComputeRunningProcesses_v3") >= 1);
    }
  }

  @Test
  void aReloadedScriptChangesTheSceneWithoutAnInit() throws Exception {
    try (Nvml nvml = StandIn.open("gpu\nprocess 4242 1048576\n")) {
      java.nio.file.Path file = StandIn.script("gpu\nprocess 4242 2097152\nprocess 4343 1048576\n");
      StandIn.reload();
      assertEquals(List.of(new GpuReading.ProcessInfo(4242, 2097152L), new GpuReading.ProcessInfo(4343, 1048576L)),
          nvml.computeProcesses(0));
      assertEquals(1, StandIn.initCount());
      java.nio.file.Files.writeString(file, "gpu\n");
      StandIn.reload();
      assertEquals(List.of(), nvml.computeProcesses(0));
    }
  }

  // ---- thread safety ----

  @Test
  void concurrentReadersSeeConsistentReadings() throws Exception {
    try (Nvml nvml = StandIn.open(StandIn.TWO_GPUS)) {
      List<GpuReading> expected = nvml.readAll();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Boolean>> results = IntStream.range(0, 4).mapToObj(t -> pool.submit(() -> {
          for (int i = 0; i < 300; i++) if (!expected.equals(nvml.readAll())) return false;
          return true;
        })).toList();
        for (Future<Boolean> f : results) assertTrue(f.get());
      } finally {
        pool.shutdownNow();
      }
      assertNotNull(nvml.library());
    }
  }

  // ---- loading ----

  @Test
  void aMissingLibraryIsNvmlsLibraryNotFound() {
    NvmlException e = assertThrows(NvmlException.class, () -> Nvml.open("/nonexistent/libnvidia-ml.so.1"));
    assertEquals(NvmlReturn.LIBRARY_NOT_FOUND, e.code());
    assertTrue(e.getMessage().contains("/nonexistent/libnvidia-ml.so.1"), e.getMessage());
  }

  @Test
  void aSecondLibraryInTheSameJvmIsRefused() {
    Nvml loaded = StandIn.open(StandIn.TWO_GPUS);
    try {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> Nvml.open(StandIn.OLD_LIBRARY.toString()));
      assertTrue(e.getMessage().contains(loaded.library().toString()), e.getMessage());
    } finally {
      loaded.close();
    }
  }
}
