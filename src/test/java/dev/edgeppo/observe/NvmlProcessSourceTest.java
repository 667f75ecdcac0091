package dev.edgeppo.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.nvml.Nvml;
import dev.edgeppo.nvml.StandIn;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Per-process readings through the real bindings into the scripted stand-in NVML. */
class NvmlProcessSourceTest {
  @Test
  void computeAndMpsProcessesWithMemoryAndLiveSamples() {
    try (Nvml nvml = StandIn.open("""
        gpu
        process 4242 1073741824
        process 4343 536870912
        mps 5151 268435456
        procutil 4242 37 5 0 0 now
        procutil 5151 12 1 0 0 now
        procutil 4242 99 5 0 0 1000
        """)) {
      NvmlProcessSource src = new NvmlProcessSource(nvml, InstantSource.system(), Duration.ofSeconds(2));
      GpuProcesses r = src.read(0);
      assertEquals(Map.of(4242, 1024L, 4343, 512L, 5151, 256L), r.memoryMib());
      // 4343 used no SM (no sample), the sample of 1970 is older than the first reading's look-back.
      assertEquals(Map.of(4242, 37.0, 5151, 12.0), r.smPercent());
      GpuProcesses again = src.read(0);
      assertEquals(37.0, again.smPercent().get(4242), "a live process has a fresh sample at every reading");
    }
  }

  @Test
  void onlySamplesNewerThanTheLastSeenCount() {
    long now = System.currentTimeMillis() * 1000;
    try (Nvml nvml = StandIn.open("gpu\nprocess 1 1048576\nprocutil 1 50 0 0 0 " + (now - 500_000) + "\nprocutil 1 70 0 0 0 "
        + (now - 100_000) + "\n")) {
      NvmlProcessSource src = new NvmlProcessSource(nvml, () -> java.time.Instant.ofEpochMilli(now / 1000), Duration.ofSeconds(1));
      assertEquals(60.0, src.read(0).smPercent().get(1), 1e-12, "two samples of one process average");
      assertNull(src.read(0).smPercent().get(1), "nothing newer since: the process used no SM");
    }
  }

  @Test
  void afterAPauseOnlyTheLastLookBackCounts() throws Exception {
    long t0 = System.currentTimeMillis() * 1000;
    long[] nowMicros = {t0};
    try (Nvml nvml = StandIn.open("gpu\nprocess 1 1048576\nprocutil 1 50 0 0 0 " + (t0 - 100_000) + "\n")) {
      NvmlProcessSource src = new NvmlProcessSource(nvml, () -> java.time.Instant.ofEpochMilli(nowMicros[0] / 1000),
          Duration.ofSeconds(1));
      assertEquals(50.0, src.read(0).smPercent().get(1), 1e-12);
      // Nobody watched this GPU for 40 s; the driver kept a sample of 5 s after the last reading.
      StandIn.script("gpu\nprocess 1 1048576\nprocutil 1 90 0 0 0 " + (t0 + 5_000_000) + "\n");
      StandIn.reload();
      nowMicros[0] = t0 + 40_000_000;
      assertNull(src.read(0).smPercent().get(1), "35 s old: older than one look-back");
    }
  }

  @Test
  void missingPerProcessUtilizationIsASignalMissing() {
    try (Nvml nvml = StandIn.open("gpu\nprocess 4242 1048576\nfail nvmlDeviceGetProcessUtilization 3\n")) {
      NvmlProcessSource src = new NvmlProcessSource(nvml, InstantSource.system(), Duration.ofSeconds(2));
      ProcessSource.SignalMissing m = assertThrows(ProcessSource.SignalMissing.class, () -> src.read(0));
      assertEquals(SkipReason.NO_PROCESS_UTILIZATION, m.reason());
      assertTrue(m.getMessage().contains("Not Supported"), m.getMessage());
    }
  }

  @Test
  void otherNvmlFailuresAreFailedReadings() {
    try (Nvml nvml = StandIn.open("gpu\nfail nvmlDeviceGetComputeRunningProcesses_v3 15\n")) {
      NvmlProcessSource src = new NvmlProcessSource(nvml, InstantSource.system(), Duration.ofSeconds(2));
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> src.read(0));
      assertTrue(e.getMessage().contains("GPU is lost"), e.getMessage());
    }
  }
}
