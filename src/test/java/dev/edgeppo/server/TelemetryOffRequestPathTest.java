package dev.edgeppo.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.agent.Durability;
import dev.edgeppo.agent.FixedTelemetry;
import dev.edgeppo.nvml.StandIn;
import dev.edgeppo.observe.ObserveSettings;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.telemetry.SampledTelemetry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * /allocate reads the sampler's latest reading and never NVML (the stand-in counts every call); a reading older
 * than the limit is refused 503 with Retry-After, and nothing is allocated.
 */
class TelemetryOffRequestPathTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> NVML_READS = List.of("nvmlDeviceGetCount_v2", "nvmlDeviceGetHandleByIndex_v2",
      "nvmlDeviceGetUtilizationRates", "nvmlDeviceGetMemoryInfo_v2", "nvmlDeviceGetComputeRunningProcesses_v3",
      "nvmlDeviceGetTemperature", "nvmlDeviceGetPowerUsage");
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  HttpResponse<String> call(int port, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    b = body == null ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static Map<String, Long> nvmlCalls() {
    Map<String, Long> m = new LinkedHashMap<>();
    for (String f : NVML_READS) m.put(f, StandIn.calls(f));
    return m;
  }

  @Test
  void requestsNeverCallNvml() throws Exception {
    StandIn.script(StandIn.TWO_GPUS);
    // One sample at start, the next in an hour: whatever NVML calls happen meanwhile are the requests'.
    AgentRuntime.Settings s = new AgentRuntime.Settings("127.0.0.1", 0, null, null, Hyperparameters.defaults().withBatchSize(4),
        AgentOptions.defaults(), Duration.ofSeconds(10), "nvml", "cpu",
        // No /proc to read: the pod observer, which reads NVML on its own thread, stays off.
        new ObserveSettings(Path.of("/nonexistent-proc"), Duration.ofSeconds(2), Duration.ofSeconds(60)),
        Duration.ofHours(1), Duration.ofHours(2), null);
    try (AgentRuntime rt = AgentRuntime.start(s)) {
      Map<String, Long> before = nvmlCalls();
      assertTrue(before.get("nvmlDeviceGetUtilizationRates") >= 2, "the sampler read both GPUs at start: " + before);
      for (int i = 0; i < 10; i++) {
        HttpResponse<String> a = call(rt.port(), "/allocate", "{\"cores\":50,\"memory\":2000,\"gpu\":" + (i % 2) + "}");
        assertEquals(200, a.statusCode(), a.body());
        String id = JSON.readTree(a.body()).get("allocation_id").asText();
        HttpResponse<String> f = call(rt.port(), "/feedback",
            "{\"allocation_id\":\"" + id + "\",\"actual_usage\":40,\"qos_met\":true,\"pods\":2}");
        assertEquals(200, f.statusCode(), f.body());
      }
      assertEquals(200, call(rt.port(), "/readyz", null).statusCode());
      String metrics = call(rt.port(), "/metrics", null).body();
      assertTrue(metrics.contains("DCGM_FI_DEV_GPU_UTIL{"), "GPU gauges come from the sample");
      assertTrue(metrics.contains("edgeppo_telemetry_age_seconds "), metrics);
      assertTrue(metrics.contains("edgeppo_telemetry_samples_total 1.0"), metrics);
      assertEquals(before, nvmlCalls(), "allocate, feedback, readyz and metrics made no NVML call");
    }
  }

  @Test
  void aStaleReadingIsRefusedRetryableAndAllocatesNothing() throws Exception {
    // The sampler takes its first reading and then (period: an hour) none: 50 ms later that reading is stale.
    SampledTelemetry t = SampledTelemetry.start(FixedTelemetry.seedNode(), Duration.ofHours(1), Duration.ofMillis(50));
    try (TestAgent a = new TestAgent(PpoLearner.fresh(Hyperparameters.defaults(), new CpuBackend(), 1), t,
        AgentOptions.defaults().with(b -> b.maxMemoryMb(32768L)), Durability.NONE, null)) {
      Thread.sleep(120);
      HttpResponse<String> r = a.post("/allocate", "{\"cores\":50,\"memory\":2000}");
      assertEquals(503, r.statusCode(), r.body());
      assertEquals("1", r.headers().firstValue("Retry-After").orElse(null), r.headers().toString());
      JsonNode err = TestAgent.json(r);
      assertTrue(err.get("error").asText().contains("ms old (limit 50 ms)"), r.body());
      assertEquals(0, a.core.pending(), "nothing was allocated");
      assertEquals(503, a.get("/readyz").statusCode());
      String m = a.get("/metrics").body();
      assertTrue(m.contains("edgeppo_telemetry_max_age_seconds 0.05"), m);
    } finally {
      t.close();
    }
  }
}
