package dev.edgeppo.telemetry;

import dev.edgeppo.agent.GpuChooser;
import dev.edgeppo.agent.StateEncoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.nvml.StandIn;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The agent's view of NVML, through the stand-in; expected numbers are the script's, converted by hand. */
class NvmlTelemetryTest {
  @Test
  void snapshotsCarryTheScriptedReadingsAndDcgmGauges() {
    StandIn.script(StandIn.TWO_GPUS);
    try (NvmlTelemetry t = NvmlTelemetry.open()) {
      assertEquals("nvml", t.name());
      assertTrue(t.describe().startsWith("NVML 12.535.104.05, driver 535.104.05 ("), t.describe());
      List<GpuSnapshot> gpus = t.read();
      assertEquals(2, gpus.size());
      GpuSnapshot a2 = gpus.get(0);
      assertEquals(0, a2.index());
      assertEquals("GPU-7c0c5a2e-0000-4000-8000-000000000001", a2.uuid());
      assertEquals("NVIDIA A2", a2.name());
      assertEquals(45.0, a2.utilizationGpu());
      assertEquals(30.0, a2.utilizationMemory());
      assertEquals(15360L, a2.memoryTotalMib());
      assertEquals(4608L, a2.memoryUsedMib());
      assertEquals(2, a2.processes());
      assertEquals(51.0, a2.temperatureC());
      assertEquals(61.234, a2.powerW());
      assertEquals(Map.ofEntries(
          Map.entry("DCGM_FI_DEV_GPU_UTIL", 45.0), Map.entry("DCGM_FI_DEV_MEM_COPY_UTIL", 30.0),
          Map.entry("DCGM_FI_DEV_FB_TOTAL", 15360.0), Map.entry("DCGM_FI_DEV_FB_USED", 4608.0),
          Map.entry("DCGM_FI_DEV_FB_FREE", 10452.0), Map.entry("DCGM_FI_DEV_FB_RESERVED", 300.0),
          Map.entry("DCGM_FI_DEV_GPU_TEMP", 51.0), Map.entry("DCGM_FI_DEV_POWER_USAGE", 61.234),
          Map.entry("DCGM_FI_DEV_ENFORCED_POWER_LIMIT", 60.0), Map.entry("DCGM_FI_DEV_SM_CLOCK", 1770.0),
          Map.entry("DCGM_FI_DEV_MEM_CLOCK", 6251.0), Map.entry("DCGM_FI_DEV_VIDEO_CLOCK", 1650.0),
          Map.entry("DCGM_FI_DEV_ECC_SBE_VOL_TOTAL", 3.0), Map.entry("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", 1.0),
          Map.entry("DCGM_FI_DEV_ECC_SBE_AGG_TOTAL", 10.0), Map.entry("DCGM_FI_DEV_ECC_DBE_AGG_TOTAL", 2.0),
          Map.entry("DCGM_FI_DEV_CLOCK_THROTTLE_REASONS", 36.0), Map.entry("DCGM_FI_DEV_MIG_MODE", 1.0)), a2.extra());

      GpuSnapshot t4 = gpus.get(1);
      assertNull(t4.temperatureC());
      assertNull(t4.powerW());
      assertEquals(0, t4.processes());
      assertTrue(!t4.extra().containsKey("DCGM_FI_DEV_GPU_TEMP") && !t4.extra().containsKey("DCGM_FI_DEV_POWER_USAGE"),
          "unsupported readings export no gauge: " + t4.extra());
    }
  }

  /** SPEC §1 from NVML: the A2 is the seed's example node (45 %, 30 %, 2 pods). */
  @Test
  void stateOfAnAllocationIsBuiltFromNvml() {
    StandIn.script(StandIn.TWO_GPUS);
    try (NvmlTelemetry t = NvmlTelemetry.open()) {
      List<GpuSnapshot> gpus = t.read();
      StateEncoder seedDefaults = new StateEncoder(StateEncoder.DEFAULT_MAX_MEMORY_MB, StateEncoder.DEFAULT_MAX_PODS);
      GpuSnapshot named = GpuChooser.choose(gpus, "0");
      assertArrayEquals(new float[] {0.80f, 4000f / 32768, 0.45f, 0.30f, 0.20f}, seedDefaults.encode(80, 4000, named), 1e-6f);
      // Without a GPU named, the one with the most free memory: the idle T4.
      GpuSnapshot chosen = GpuChooser.choose(gpus, null);
      assertEquals("Tesla T4", chosen.name());
      assertArrayEquals(new float[] {0.80f, 4000f / 32768, 0f, 0f, 0f}, seedDefaults.encode(80, 4000, chosen), 1e-6f);
    }
  }

  @Test
  void aFailingReadIsATelemetryExceptionWithNvmlText() {
    StandIn.script(StandIn.TWO_GPUS + "fail nvmlDeviceGetUtilizationRates 15\n");
    try (NvmlTelemetry t = NvmlTelemetry.open()) {
      TelemetryException e = assertThrows(TelemetryException.class, t::read);
      assertTrue(e.getMessage().contains("GPU is lost"), e.getMessage());
    }
  }

  @Test
  void factoryPrefersNvmlWhenItInitialises() {
    StandIn.script(StandIn.TWO_GPUS);
    TelemetryFactory.Opened o = TelemetryFactory.open("auto");
    try (Telemetry t = o.telemetry()) {
      assertInstanceOf(NvmlTelemetry.class, t);
      assertTrue(o.why().contains("nvml") && o.why().contains("driver 535.104.05"), o.why());
    }
    try (Telemetry t = TelemetryFactory.open("nvml").telemetry()) {
      assertEquals(2, t.read().size());
    }
  }

  @Test
  void factoryFallsBackToSimWithNvmlsReason() {
    StandIn.script("fail nvmlInit_v2 9\n");
    TelemetryFactory.Opened o = TelemetryFactory.open("auto");
    assertEquals("sim", o.telemetry().name());
    assertTrue(o.why().contains("Driver Not Loaded"), o.why());
    TelemetryException e = assertThrows(TelemetryException.class, () -> TelemetryFactory.open("nvml"));
    assertTrue(e.getMessage().contains("Driver Not Loaded"), e.getMessage());
    assertEquals(0, StandIn.initCount());
  }

  @Test
  void factoryRejectsUnknownChoices() {
    assertEquals("sim", TelemetryFactory.open("sim").telemetry().name());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TelemetryFactory.open("dcgm"));
    assertTrue(e.getMessage().contains("dcgm") && e.getMessage().contains("auto, nvml or sim"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TelemetryFactory.open(null));
  }
}
