package dev.edgeppo.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.nvml.StandIn;
import dev.edgeppo.observe.ObserveSettings;
import dev.edgeppo.observe.PodProcesses;
import dev.edgeppo.ppo.Hyperparameters;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §5 end to end: {@code serve}'s runtime on the stand-in NVML, real child processes for the pods' containers
 * and a proc root laid out with their kubepods cgroup files. Allocations name their pods; nobody calls POST
 * /feedback for them, yet each gets its feedback (usage, QoS, pods, done) and the agent trains on it.
 */
class ObservedFeedbackTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final long MIB = 1L << 20;
  /** Five pods judged from their readings: one update needs exactly that many here, so the update proves the training. */
  static final int BATCH = 5;

  @TempDir Path proc;
  @TempDir Path state;
  final HttpClient http = HttpClient.newHttpClient();
  int port;

  HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    b = body == null ? b.GET() : b.method(method, HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  JsonNode ok(String method, String path, String body) throws Exception {
    HttpResponse<String> r = send(method, path, body);
    assertEquals(200, r.statusCode(), path + " -> " + r.body());
    return JSON.readTree(r.body());
  }

  JsonNode allocate(int cores, long memory, String podUid) throws Exception {
    return ok("POST", "/allocate", "{\"cores\":%d,\"memory\":%d,\"pod\":\"ml/p\",\"pod_uid\":\"%s\"}".formatted(cores, memory, podUid));
  }

  JsonNode status(String id) throws Exception { return ok("GET", "/v1/allocations/" + id, null); }

  JsonNode await(String id, Predicate<JsonNode> until) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode s = status(id);
    while (!until.test(s)) {
      if (System.nanoTime() > end) throw new AssertionError("allocation " + id + " never got there: " + s);
      Thread.sleep(10);
      s = status(id);
    }
    return s;
  }

  /** SPEC §1's reward, written out again here as the independent reference. */
  static double reward(int granted, double used, boolean qos, int pods) {
    double fair = 100.0 / Math.max(1, pods - 1);
    return 0.5 * Math.min(used / granted, 1.0) + (qos ? 1.0 : -0.5) - (granted > 1.5 * fair ? 0.3 : 0) - (granted < 10 ? 0.2 : 0);
  }

  record Pod(String uid, String id, int cores, long memory, Process gpu, Process sandbox) {}

  @Test
  void theAgentReportsAndTrainsOnWhatItObservesWithNoPostFeedback() throws Exception {
    Path script = StandIn.script("gpu\nuuid GPU-observed-0\nmemory 17179869184 0 0\nutil 10 5\n");
    Hyperparameters hp = Hyperparameters.defaults().withBatchSize(BATCH);
    // Readings every 20 ms over a 6 s window: long enough for the test to act between readings on a busy machine.
    ObserveSettings observe = new ObserveSettings(proc, Duration.ofMillis(20), Duration.ofSeconds(6));
    try (PodProcesses procs = new PodProcesses(proc);
         AgentRuntime rt = AgentRuntime.start(new AgentRuntime.Settings("127.0.0.1", 0, state, null, hp,
             AgentOptions.defaults().with(b -> b.seed(5)), Duration.ofSeconds(10), "nvml", "cpu", observe, null))) {
      port = rt.port();
      Map<String, Pod> pods = new LinkedHashMap<>();
      String[] names = {"normal", "throttled", "oom", "crashes", "ends", "never", "answered-by-http"};
      PodProcesses.Form[] forms = PodProcesses.Form.values();
      for (int i = 0; i < names.length; i++) {
        String uid = "%08x-0000-4000-8000-%012x".formatted(0xabc00 + i, i);
        PodProcesses.Form form = forms[i % forms.length];
        // "throttled" asks more than the untrained agent grants (95 % of an ask) so that its grant is below its
        // ask: only then is sitting at it throttling. It asks 90, not the whole GPU, so that the GPU keeps room:
        // a GPU whose processes sum to 95 % SM or more starves every pod working on it (SPEC §5 rule 4).
        JsonNode a = allocate(names[i].equals("throttled") ? 90 : 80, 8000, uid);
        assertEquals("observing", status(a.get("allocation_id").asText()).get("status").asText());
        pods.put(names[i], new Pod(uid, a.get("allocation_id").asText(), a.get("cores").asInt(), a.get("memory").asLong(),
            procs.start(uid, form), procs.start(uid, form)));
      }
      assertTrue(pods.get("throttled").cores() < 100, "the throttled pod's grant must be below its ask: " + pods.get("throttled"));
      Process host = procs.startOutsidePods(); // a host daemon on the GPU: in no pod, so not counted as one

      // The GPU now shows each pod's process (not "never"'s) at an SM share set from its grant.
      Map<String, String> lines = new LinkedHashMap<>();
      for (var e : pods.entrySet()) {
        Pod p = e.getValue();
        int sm = switch (e.getKey()) {
          case "throttled" -> p.cores();          // held at the grant
          default -> wantedSm(p.cores());         // wants a little of it
        };
        long mib = e.getKey().equals("oom") ? p.memory() : Math.min(300, p.memory() - 1);
        if (!e.getKey().equals("never"))
          lines.put(e.getKey(), "process %d %d\nprocutil %d %d 0 0 0 now\n".formatted(p.gpu().pid(), mib * MIB, p.gpu().pid(), sm));
      }
      String hostLine = "process %d %d\nprocutil %d 3 0 0 0 now\n".formatted(host.pid(), 50 * MIB, host.pid());
      scene(script, lines, hostLine);

      // An external POST /feedback still works, and first wins.
      Pod h = pods.get("answered-by-http");
      await(h.id(), s -> s.path("observation").path("samples").asInt() >= 1);
      assertEquals(200, send("POST", "/feedback", "{\"allocation_id\":\"%s\",\"actual_usage\":12,\"qos_met\":true,\"pods\":2}"
          .formatted(h.id())).statusCode());

      // "crashes": its GPU process exits while its sandbox lives on. Six pods were on the GPU at its last reading.
      Pod c = pods.get("crashes"), en = pods.get("ends");
      await(c.id(), s -> s.path("observation").path("samples").asInt() >= 2);
      procs.kill(c.gpu());
      lines.remove("crashes");
      scene(script, lines, hostLine);
      check(c, false, false, 6, false);
      // "ends": the whole pod goes, sandbox and all; five pods were left on the GPU at its last reading.
      await(en.id(), s -> s.path("observation").path("samples").asInt() >= 2);
      procs.kill(en.sandbox());
      procs.kill(en.gpu());
      lines.remove("ends");
      scene(script, lines, hostLine);
      check(en, false, true, 5, true);

      // The rest run to the end of their window: normal, throttled, oom and answered-by-http were on the GPU.
      int onGpuAtEnd = 4;
      check(pods.get("normal"), false, true, onGpuAtEnd, false);
      check(pods.get("throttled"), true, false, onGpuAtEnd, false);
      check(pods.get("oom"), false, false, onGpuAtEnd, false);

      JsonNode never = await(pods.get("never").id(), s -> s.get("status").asText().equals("expired"));
      assertTrue(never.get("observation").get("why").get(0).asText().contains("no_gpu_process"), never.toString());
      assertFalse(never.has("feedback"));
      assertEquals(404, send("POST", "/feedback", "{\"allocation_id\":\"%s\",\"actual_usage\":1,\"qos_met\":true,\"pods\":1}"
          .formatted(pods.get("never").id())).statusCode(), "an expired allocation takes no feedback");

      JsonNode hs = await(h.id(), s -> s.get("status").asText().equals("answered"));
      assertEquals("http", hs.get("feedback").get("source").asText());
      assertEquals(12.0, hs.get("feedback").get("actual_usage").asDouble());
      // ...and a POST /feedback after the observer answered is the second one: 409.
      assertEquals(409, send("POST", "/feedback", "{\"allocation_id\":\"%s\",\"actual_usage\":1,\"qos_met\":true,\"pods\":1}"
          .formatted(pods.get("normal").id())).statusCode());

      // Trained on: five observed and one posted feedback, a batch of five made one update.
      long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      JsonNode policy = ok("GET", "/v1/policy", null);
      while (policy.get("updates").asLong() < 1 || policy.get("training").asBoolean()) {
        if (System.nanoTime() > end) throw new AssertionError("no update: " + policy);
        Thread.sleep(20);
        policy = ok("GET", "/v1/policy", null);
      }
      assertEquals(1, policy.get("updates").asLong());
      assertEquals(1, policy.get("buffered").asInt());
      String metrics = send("GET", "/metrics", null).body();
      assertTrue(metrics.contains("edgeppo_observer_self_reported_feedbacks_total 5.0"), metrics);
      assertTrue(metrics.contains("edgeppo_feedbacks_total{source=\"observed\"} 5.0"), metrics);
      assertTrue(metrics.contains("edgeppo_feedbacks_total{source=\"http\"} 1.0"), metrics);
      assertTrue(metrics.contains("edgeppo_observer_observed_allocations_total 7.0"), metrics);
      assertTrue(metrics.contains("edgeppo_observer_skipped_total{reason=\"no_gpu_process\"} 1.0"), metrics);
      assertTrue(metrics.contains("edgeppo_observer_skipped_total{reason=\"http_feedback_first\"} 1.0"), metrics);
      assertTrue(metrics.lines().anyMatch(l -> l.startsWith("edgeppo_observer_samples_total ") && !l.endsWith(" 0.0")), metrics);
    }
  }

  /** Waits for the observed feedback of {@code p} and checks it against the rules worked out by hand. */
  /** SM % the pods other than "throttled" use: 1 %, so that all of them with the throttled one leave the GPU room (rule 4). */
  static int wantedSm(int cores) { return 1; }

  void check(Pod p, boolean throttled, boolean qos, int pods, boolean done) throws Exception {
    JsonNode s = await(p.id(), x -> x.get("status").asText().equals("answered"));
    JsonNode fb = s.get("feedback");
    assertEquals("observed", fb.get("source").asText(), s.toString());
    double usage = throttled ? p.cores() : wantedSm(p.cores());
    assertEquals(usage, fb.get("actual_usage").asDouble(), 1e-9, s.toString());
    assertEquals(qos, fb.get("qos_met").asBoolean(), s.toString());
    assertEquals(pods, fb.get("pods").asInt(), s.toString());
    assertEquals(done, fb.get("done").asBoolean(), s.toString());
    assertEquals(reward(p.cores(), usage, qos, pods), fb.get("reward").asDouble(), 1e-6, s.toString());
    assertEquals(p.uid(), s.get("pod_uid").asText());
    assertTrue(s.get("observation").get("samples").asInt() >= 1, s.toString());
    assertTrue(s.get("observation").get("why").size() >= 4, s.toString());
  }

  /** Rewrites the stand-in's scene and has it read again under the running agent. */
  static void scene(Path script, Map<String, String> lines, String extra) throws Exception {
    StringBuilder sb = new StringBuilder("gpu\nuuid GPU-observed-0\nmemory 17179869184 0 0\nutil 10 5\n");
    lines.values().forEach(sb::append);
    sb.append(extra);
    Files.writeString(script, sb.toString());
    StandIn.reload();
  }
}
