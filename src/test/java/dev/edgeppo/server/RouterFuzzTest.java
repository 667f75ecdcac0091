package dev.edgeppo.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.agent.AllocateRequest;
import dev.edgeppo.agent.FixedTelemetry;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Fuzzes both JSON endpoints through the production router. Whatever the body, the answer is 200 or a
 * 4xx with an error message, and a refusal changes nothing. In a plain test run Jazzer replays the seeds
 * in {@code RouterFuzzTestInputs}; with {@code JAZZER_FUZZ=1} it fuzzes for {@code maxDuration}.
 * A literal {@code @} in a body stands for the id of a live pending allocation, so feedback gets past 404.
 * A small max_pending makes the oldest-expires path run in every fuzzing session, however fast the machine.
 */
class RouterFuzzTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final AgentCore CORE = new AgentCore(PpoLearner.fresh(Hyperparameters.defaults(), new CpuBackend(), 1),
      FixedTelemetry.seedNode(), AgentOptions.defaults().with(b -> b.trainInline(true).maxPending(1000)));
  static final Router ROUTER = new Router(CORE, new AgentMetrics(CORE), null, "fixed");

  @FuzzTest(maxDuration = "15s")
  void jsonEndpoints(FuzzedDataProvider data) throws Exception {
    boolean feedback = data.consumeBoolean();
    byte[] raw = data.consumeRemainingAsBytes();
    String live = CORE.allocate(new AllocateRequest(50, 1000, null, null)).allocationId();
    byte[] body = replaceAt(raw, live);
    long pending = CORE.pending(), seq = CORE.nextSeq(), updates = CORE.updates(), expired = CORE.expired();

    Router.Response r = ROUTER.route(new Router.Request("POST", feedback ? "/feedback" : "/allocate", null, body, false));

    assertTrue(Set.of(200, 400, 404, 409).contains(r.status()), "status " + r.status() + " for " + show(body));
    JsonNode out = JSON.readTree(r.body());
    assertTrue(out.isObject());
    if (r.status() != 200) {
      assertTrue(out.get("error").isTextual() && !out.get("error").asText().isEmpty());
      assertEquals(pending, CORE.pending(), "a refusal changed the pending allocations");
      assertEquals(seq, CORE.nextSeq(), "a refusal completed an experience");
      assertEquals(updates, CORE.updates());
    } else if (feedback) {
      assertEquals(pending - 1, CORE.pending());
      assertEquals(seq + 1, CORE.nextSeq());
      assertTrue(Double.isFinite(out.get("reward").asDouble()));
    } else {
      // Each run leaves a live allocation behind; past max_pending the oldest expires to make room.
      assertEquals(pending + 1 - (CORE.expired() - expired), CORE.pending());
      assertEquals(5, out.get("state").size());
      for (JsonNode v : out.get("state")) assertTrue(v.asDouble() >= 0 && v.asDouble() <= 1);
      int cores = out.get("cores").asInt();
      assertFalse(cores < 1 || cores > 100);
    }
  }

  private static byte[] replaceAt(byte[] raw, String id) {
    String s = new String(raw, StandardCharsets.ISO_8859_1);
    if (!s.contains("@")) return raw;
    return s.replace("@", id).getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String show(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
