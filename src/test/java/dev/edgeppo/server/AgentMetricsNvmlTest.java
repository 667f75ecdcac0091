package dev.edgeppo.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.nvml.StandIn;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.telemetry.DcgmField;
import dev.edgeppo.telemetry.NvmlTelemetry;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** /metrics on NVML telemetry (the scripted stand-in): dcgm-exporter's names, one NVML reading per scrape. */
class AgentMetricsNvmlTest {
  @Test
  void exportsDcgmExporterGaugesFromOneReadingPerScrape() throws Exception {
    StandIn.script(StandIn.TWO_GPUS);
    try (NvmlTelemetry t = NvmlTelemetry.open()) {
      AgentCore core = new AgentCore(PpoLearner.fresh(Hyperparameters.defaults(), new CpuBackend(), 1), t,
          AgentOptions.defaults().with(b -> b.trainInline(true)));
      AgentMetrics metrics = new AgentMetrics(core);
      // A first scrape loads the exposition classes; on a loaded machine that alone can outlast the reading's
      // reuse window and make the counted scrape read twice. Warm up, then wait the window out.
      metrics.scrape();
      Thread.sleep(600);
      long before = StandIn.calls("nvmlDeviceGetUtilizationRates");
      String text = new String(metrics.scrape(), StandardCharsets.UTF_8);
      // Two GPUs read once for all gauges of the scrape, not once per gauge.
      assertEquals(2, StandIn.calls("nvmlDeviceGetUtilizationRates") - before, "NVML readings per scrape");

      String a2 = "{UUID=\"GPU-7c0c5a2e-0000-4000-8000-000000000001\",gpu=\"0\",modelName=\"NVIDIA A2\"}";
      assertTrue(text.contains("DCGM_FI_DEV_GPU_UTIL" + a2 + " 45.0"), text);
      assertTrue(text.contains("DCGM_FI_DEV_MEM_COPY_UTIL" + a2 + " 30.0"), text);
      assertTrue(text.contains("DCGM_FI_DEV_FB_USED" + a2 + " 4608.0"), text);
      assertTrue(text.contains("DCGM_FI_DEV_POWER_USAGE" + a2 + " 61.234"), text);
      assertTrue(text.contains("edgeppo_gpu_processes{gpu=\"0\",uuid=\"GPU-7c0c5a2e-0000-4000-8000-000000000001\"} 2.0"), text);
      for (DcgmField f : DcgmField.values()) assertTrue(text.contains("# HELP " + f.metric() + " "), f.metric());
      // The T4 reports no temperature: no sample, rather than a made-up one.
      assertFalse(text.lines().anyMatch(l -> l.startsWith("DCGM_FI_DEV_GPU_TEMP{") && l.contains("gpu=\"1\"")), text);
    }
  }
}
