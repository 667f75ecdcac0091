package dev.edgeppo.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import dev.edgeppo.observe.slo.PodMetricsEndpoint;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.nvml.StandIn;
import dev.edgeppo.observe.ObserveSettings;
import dev.edgeppo.observe.PodProcesses;
import dev.edgeppo.ppo.Hyperparameters;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §4 {@code slo} and §5 rule 1 through {@code serve}: the stand-in NVML, real child processes for the pods,
 * and each pod's metrics endpoint played over HTTP on loopback. A pod held at its cap whose service level is
 * met is served; a malformed objective or URL is refused with 400 and changes nothing.
 */
class ServiceLevelFeedbackTest {
  @TempDir Path proc;
  @TempDir Path state;
  final ObservedFeedbackTest http = new ObservedFeedbackTest();

  @Test
  void aDeclaredServiceLevelDecidesTheObservedFeedback() throws Exception {
    // vLLM-style: every scrape 10 more requests of at most 0.1 s.
    PodMetricsEndpoint pod = PodMetricsEndpoint.start(k -> "vllm:e2e_request_latency_seconds_bucket{le=\"0.1\"} " + 10 * k + "\n"
        + "vllm:e2e_request_latency_seconds_bucket{le=\"+Inf\"} " + 10 * k + "\n");
    String url = "http://127.0.0.1:" + pod.port() + "/metrics";
    Path script = StandIn.script("gpu\nuuid GPU-slo-0\nmemory 17179869184 0 0\nutil 10 5\n");
    ObserveSettings observe = new ObserveSettings(proc, Duration.ofMillis(20), Duration.ofMillis(400));
    try (PodProcesses procs = new PodProcesses(proc);
         AgentRuntime rt = AgentRuntime.start(new AgentRuntime.Settings("127.0.0.1", 0, state, null, Hyperparameters.defaults(),
             AgentOptions.defaults().with(b -> b.seed(5)), Duration.ofSeconds(10), "nvml", "cpu", observe, null))) {
      http.port = rt.port();
      String uid = "5100a000-0000-4000-8000-000000000001";
      // Refused, nothing allocated: a malformed objective, a non-http URL, an slo without its pod.
      for (String bad : new String[] {
          "{\"cores\":100,\"memory\":8000,\"pod_uid\":\"" + uid + "\",\"slo\":{\"metrics_url\":\"" + url + "\",\"objective\":\"lat:p99<0.5\"}}",
          "{\"cores\":100,\"memory\":8000,\"pod_uid\":\"" + uid + "\",\"slo\":{\"metrics_url\":\"https://10.0.0.1:8000/metrics\",\"objective\":\"lat:p99<=0.5\"}}",
          "{\"cores\":100,\"memory\":8000,\"slo\":{\"metrics_url\":\"" + url + "\",\"objective\":\"lat:p99<=0.5\"}}",
          "{\"cores\":100,\"memory\":8000,\"pod_uid\":\"" + uid + "\",\"slo\":{\"metrics_url\":\"" + url + "\",\"objective\":\"lat:p99<=0.5\",\"x\":1}}"}) {
        var r = http.send("POST", "/allocate", bad);
        assertEquals(400, r.statusCode(), bad + " -> " + r.body());
        assertTrue(r.body().contains("error"), r.body());
      }
      String metrics0 = http.send("GET", "/metrics", null).body();
      assertTrue(metrics0.contains("edgeppo_observer_observed_allocations_total 0.0"), "a refused allocate observed nothing");

      JsonNode a = http.ok("POST", "/allocate", "{\"cores\":100,\"memory\":8000,\"pod\":\"ml/vllm\",\"pod_uid\":\"" + uid
          + "\",\"slo\":{\"metrics_url\":\"" + url + "\",\"objective\":\"vllm:e2e_request_latency_seconds:p99<=0.5\"}}");
      int cores = a.get("cores").asInt();
      assertTrue(cores < 100, "the grant must be below the ask for the cap rule to bite: " + a);
      Process p = procs.start(uid, PodProcesses.Form.values()[0]);
      procs.start(uid, PodProcesses.Form.values()[0]); // its sandbox
      Map<String, String> lines = new LinkedHashMap<>();
      // Held at its grant all window long: the NVML rules alone would call it throttled.
      lines.put("vllm", "process %d %d\nprocutil %d %d 0 0 0 now\n".formatted(p.pid(), 300L << 20, p.pid(), cores));
      ObservedFeedbackTest.scene(script, lines, "");
      JsonNode s = http.await(a.get("allocation_id").asText(), x -> x.get("status").asText().equals("answered"));
      assertEquals("observed", s.get("feedback").get("source").asText());
      assertTrue(s.get("feedback").get("qos_met").asBoolean(), "its own service level decides: " + s);
      JsonNode slo = s.get("observation").get("slo");
      assertEquals("vllm:e2e_request_latency_seconds:p99<=0.5", slo.get("objective").asText());
      // Every request at most 0.1 s: the 99th percentile interpolates to 0.099 in [0, 0.1].
      assertEquals(0.099, slo.get("value").asDouble(), 1e-9, s.toString());
      assertTrue(slo.get("met").asBoolean());
      assertTrue(slo.get("scrapes").asInt() >= 2, s.toString());
      assertEquals(0, slo.get("failed_scrapes").asInt(), s.toString());
      String metrics = http.send("GET", "/metrics", null).body();
      assertTrue(metrics.lines().anyMatch(l -> l.startsWith("edgeppo_observer_scrapes_total ") && !l.endsWith(" 0.0")), metrics);
      assertTrue(metrics.contains("edgeppo_observer_scrape_failures_total{reason=\"timeout\"} 0.0"), metrics);
    } finally {
      pod.close();
    }
  }
}
