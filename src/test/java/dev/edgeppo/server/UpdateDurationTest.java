package dev.edgeppo.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.ppo.Hyperparameters;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The runtime as serve builds it: every update's wall time lands in the histogram and the last one in
 * /v1/policy; the start-up JIT warm-up runs on a throwaway learner and leaves the real one untouched.
 */
class UpdateDurationTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Hyperparameters HP = Hyperparameters.defaults().withHidden(8).withBatchSize(4);
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  String call(AgentRuntime rt, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rt.port() + path));
    b = body == null ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), path + " " + r.body());
    return r.body();
  }

  static double sample(String metrics, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(metrics);
    assertTrue(m.find(), name + " missing in\n" + metrics);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void everyUpdateIsTimedAndTheWarmUpLeavesTheLearnerAlone() throws Exception {
    AgentRuntime.Settings s = new AgentRuntime.Settings("127.0.0.1", 0, null, null, HP,
        AgentOptions.defaults().with(b -> b.seed(3).maxMemoryMb(32768L)), Duration.ofSeconds(10), "sim", "cpu");
    try (AgentRuntime rt = AgentRuntime.start(s)) {
      float[] before = rt.core().learner().policy().params().data();
      rt.warmUpTrainer(5);
      CountDownLatch warmedUp = new CountDownLatch(1);
      rt.core().onTrainer(warmedUp::countDown); // queued behind the warm-up on the single trainer
      assertTrue(warmedUp.await(60, TimeUnit.SECONDS));
      assertEquals(0, rt.core().updates(), "the warm-up is no update of the learner");
      assertArrayEquals(before, rt.core().learner().policy().params().data(), "the warm-up trains a throwaway copy");
      assertTrue(JSON.readTree(call(rt, "/v1/policy", null)).get("update_ms").isNull());
      assertEquals(0, sample(call(rt, "/metrics", null), "edgeppo_train_update_duration_seconds_count"));

      for (int i = 0; i < 3 * HP.batchSize(); i++) {
        JsonNode a = JSON.readTree(call(rt, "/allocate", "{\"cores\":50,\"memory\":4000}"));
        call(rt, "/feedback", "{\"allocation_id\":\"" + a.get("allocation_id").asText() + "\",\"actual_usage\":40,\"qos_met\":true,\"pods\":2}");
      }
      assertTrue(rt.core().awaitIdle(60_000));
      String m = call(rt, "/metrics", null);
      assertEquals(3, sample(m, "edgeppo_train_updates_total"));
      assertEquals(3, sample(m, "edgeppo_train_update_duration_seconds_count"));
      double sumSeconds = sample(m, "edgeppo_train_update_duration_seconds_sum");
      double lastMs = JSON.readTree(call(rt, "/v1/policy", null)).get("update_ms").asDouble();
      assertTrue(lastMs > 0 && lastMs <= sumSeconds * 1e3 + 1e-9, "last " + lastMs + " ms, sum " + sumSeconds + " s");
      assertEquals(3, sample(m, "edgeppo_train_update_duration_seconds_bucket{le=\"+Inf\"}"));
    }
  }
}
