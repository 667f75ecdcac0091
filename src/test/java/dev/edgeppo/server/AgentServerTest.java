package dev.edgeppo.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.agent.Durability;
import dev.edgeppo.agent.Experience;
import dev.edgeppo.agent.FixedTelemetry;
import dev.edgeppo.agent.Mode;
import dev.edgeppo.agent.Reward;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PolicyParams;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.ppo.AdamState;
import dev.edgeppo.ppo.UpdateMetrics;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AgentServerTest {
  static final Hyperparameters HP = Hyperparameters.defaults();

  static TestAgent agent() throws Exception {
    return new TestAgent(PpoLearner.fresh(HP, new CpuBackend(), 1), FixedTelemetry.seedNode(),
        AgentOptions.defaults().with(b -> b.seed(2).maxMemoryMb(32768L)), Durability.NONE, null);
  }

  @Test
  void happyPath() throws Exception {
    try (TestAgent a = agent()) {
      assertEquals(200, a.get("/healthz").statusCode());
      assertEquals(200, a.get("/readyz").statusCode());
      JsonNode al = a.allocate(80, 4000);
      int cores = al.get("cores").asInt();
      assertTrue(cores >= 10 && cores <= 80, al.toString());
      assertTrue(al.get("memory").asLong() >= 512 && al.get("memory").asLong() <= 4000, al.toString());
      assertEquals(0, al.get("gpu").get("index").asInt());
      assertEquals("GPU-test-0", al.get("gpu").get("uuid").asText());
      assertEquals(0, al.get("policy_version").asLong());
      assertEquals(5, al.get("state").size());
      JsonNode fb = a.feedback(al.get("allocation_id").asText(), 55, true, 3);
      assertEquals(Reward.of(cores, 55, true, 3), fb.get("reward").asDouble(), 1e-6);
      assertEquals(1, fb.get("buffered").asInt());
      assertFalse(fb.get("training").asBoolean());
      JsonNode p = TestAgent.json(a.get("/v1/policy"));
      assertEquals(0, p.get("updates").asLong());
      assertEquals("cpu", p.get("backend").asText());
      assertEquals(0.99, p.get("hyperparameters").get("gamma").asDouble());
      assertTrue(p.get("last_update").isNull());
      String m = a.get("/metrics").body();
      assertTrue(m.contains("edgeppo_train_updates_total 0"), m);
      assertTrue(m.contains("edgeppo_http_requests_total{endpoint=\"allocate\",status=\"200\"} 1"), m);
      assertTrue(m.contains("edgeppo_reward_count 1"), m);
      assertTrue(m.contains("edgeppo_gpu_utilization_percent{gpu=\"0\",uuid=\"GPU-test-0\"} 45"), m);
    }
  }

  /**
   * The seed's example end to end: a policy whose mean is exactly [0.56, 0.08] (output weights zero,
   * biases the logits of those), in infer mode, on the seed's node.
   */
  @Test
  void seedExampleEndToEnd() throws Exception {
    PolicyParams p = PolicyParams.initialise(HP.hidden(), HP.initialStd(), 1);
    p.setTensor("actor.4.weight", new float[2 * HP.hidden()]);
    p.setTensor("actor.4.bias", new float[] {(float) Math.log(0.56 / 0.44), (float) Math.log(0.08 / 0.92)});
    PpoLearner l = new PpoLearner(HP, new CpuBackend(), p, new AdamState(p.layout()), 0);
    try (TestAgent a = new TestAgent(l, FixedTelemetry.seedNode(),
        AgentOptions.defaults().with(b -> b.mode(Mode.INFER).maxMemoryMb(32768L)), Durability.NONE, null)) {
      JsonNode al = a.allocate(80, 4000);
      float[] s = new float[5];
      for (int i = 0; i < 5; i++) s[i] = (float) al.get("state").get(i).asDouble();
      assertArrayEquals(new float[] {0.80f, 0.12f, 0.45f, 0.30f, 0.20f}, s, 0.005f);
      assertEquals(60, al.get("cores").asInt());
      assertEquals(3092, al.get("memory").asLong());
      JsonNode fb = a.feedback(al.get("allocation_id").asText(), 55, true, 3);
      assertEquals(1.4583, fb.get("reward").asDouble(), 5e-5);
    }
  }

  static Stream<Arguments> badInput() {
    return Stream.of(
        Arguments.of("/allocate", "", "empty"),
        Arguments.of("/allocate", "{", "malformed"),
        Arguments.of("/allocate", "[80, 4000]", "JSON object"),
        Arguments.of("/allocate", "\"x\"", "JSON object"),
        Arguments.of("/allocate", "{\"cores\":80}", "missing field 'memory'"),
        Arguments.of("/allocate", "{\"memory\":80}", "missing field 'cores'"),
        Arguments.of("/allocate", "{\"cores\":null,\"memory\":80}", "missing field 'cores'"),
        Arguments.of("/allocate", "{\"cores\":\"80\",\"memory\":4000}", "cores must be an integer"),
        Arguments.of("/allocate", "{\"cores\":80.5,\"memory\":4000}", "cores must be an integer"),
        Arguments.of("/allocate", "{\"cores\":true,\"memory\":4000}", "cores must be an integer"),
        Arguments.of("/allocate", "{\"cores\":[80],\"memory\":4000}", "cores must be an integer"),
        Arguments.of("/allocate", "{\"cores\":99999999999,\"memory\":4000}", "cores is out of range: 99999999999"),
        Arguments.of("/allocate", "{\"cores\":80,\"memory\":99999999999999999999}", "memory is out of range"),
        Arguments.of("/allocate", "{\"cores\":0,\"memory\":4000}", "cores must be in 1..100"),
        Arguments.of("/allocate", "{\"cores\":101,\"memory\":4000}", "cores must be in 1..100"),
        Arguments.of("/allocate", "{\"cores\":-5,\"memory\":4000}", "cores must be in 1..100"),
        Arguments.of("/allocate", "{\"cores\":80,\"memory\":0}", "memory must be > 0"),
        Arguments.of("/allocate", "{\"cores\":80,\"memory\":-1}", "memory must be > 0"),
        Arguments.of("/allocate", "{\"cores\":80,\"memory\":1e400}", "memory must be an integer"),
        Arguments.of("/allocate", "{\"cores\":80,\"memory\":NaN}", "malformed"),
        Arguments.of("/allocate", "{\"cores\":80,\"memory\":Infinity}", "malformed"),
        Arguments.of("/allocate", "{\"cores\":80,\"memory\":4000} x", "malformed"),
        Arguments.of("/allocate", "{\"cores\":80,\"cores\":90,\"memory\":4000}", "malformed"),
        Arguments.of("/allocate", "{\"cores\":80,\"memory\":4000,\"evil\":1}", "unknown field 'evil'"),
        Arguments.of("/allocate", "{\"cores\":80,\"memory\":4000,\"gpu\":7}", "no GPU '7'"),
        Arguments.of("/allocate", "{\"cores\":80,\"memory\":4000,\"gpu\":-1}", "gpu must be a GPU index"),
        Arguments.of("/allocate", "{\"cores\":80,\"memory\":4000,\"gpu\":1.5}", "gpu must be a GPU index"),
        Arguments.of("/allocate", "{\"cores\":80,\"memory\":4000,\"gpu\":\"\"}", "gpu must be an index or a UUID"),
        Arguments.of("/allocate", "{\"cores\":80,\"memory\":4000,\"pod\":5}", "pod must be a string"),
        Arguments.of("/allocate", "{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}", "malformed"),
        Arguments.of("/feedback", "{}", "missing field 'allocation_id'"),
        Arguments.of("/feedback", "{\"allocation_id\":5,\"actual_usage\":1,\"qos_met\":true,\"pods\":1}", "allocation_id must be a string"),
        Arguments.of("/feedback", "{\"allocation_id\":\"ID\",\"actual_usage\":-1,\"qos_met\":true,\"pods\":1}", "actual_usage must be a number in 0..100"),
        Arguments.of("/feedback", "{\"allocation_id\":\"ID\",\"actual_usage\":100.01,\"qos_met\":true,\"pods\":1}", "actual_usage must be a number in 0..100"),
        Arguments.of("/feedback", "{\"allocation_id\":\"ID\",\"actual_usage\":\"50\",\"qos_met\":true,\"pods\":1}", "actual_usage must be a number"),
        Arguments.of("/feedback", "{\"allocation_id\":\"ID\",\"actual_usage\":1e999,\"qos_met\":true,\"pods\":1}", "actual_usage must be a finite number"),
        Arguments.of("/feedback", "{\"allocation_id\":\"ID\",\"actual_usage\":-Infinity,\"qos_met\":true,\"pods\":1}", "malformed"),
        Arguments.of("/feedback", "{\"allocation_id\":\"ID\",\"actual_usage\":50,\"qos_met\":\"true\",\"pods\":1}", "qos_met must be true or false"),
        Arguments.of("/feedback", "{\"allocation_id\":\"ID\",\"actual_usage\":50,\"qos_met\":1,\"pods\":1}", "qos_met must be true or false"),
        Arguments.of("/feedback", "{\"allocation_id\":\"ID\",\"actual_usage\":50,\"qos_met\":true,\"pods\":0}", "pods must be >= 1"),
        Arguments.of("/feedback", "{\"allocation_id\":\"ID\",\"actual_usage\":50,\"qos_met\":true,\"pods\":2.5}", "pods must be an integer"),
        Arguments.of("/feedback", "{\"allocation_id\":\"ID\",\"actual_usage\":50,\"qos_met\":true}", "missing field 'pods'"),
        Arguments.of("/feedback", "{\"allocation_id\":\"ID\",\"actual_usage\":50,\"qos_met\":true,\"pods\":1,\"done\":\"yes\"}", "done must be true or false"),
        Arguments.of("/feedback", "{\"allocation_id\":\"ID\",\"actual_usage\":50,\"qos_met\":true,\"pods\":1,\"reward\":9}", "unknown field 'reward'"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("badInput")
  void badInputIs400WithAMessageAndNoSideEffect(String path, String body, String expected) throws Exception {
    try (TestAgent a = agent()) {
      String id = a.allocate(50, 1000).get("allocation_id").asText();
      HttpResponse<String> r = a.post(path, body.replace("\"ID\"", "\"" + id + "\""));
      assertEquals(400, r.statusCode(), r.body());
      assertTrue(TestAgent.json(r).get("error").asText().contains(expected), r.body());
      assertEquals(1, a.core.pending());
      assertEquals(0, a.core.buffered());
      // The allocation the bad feedback named is still answerable.
      assertEquals(1, a.feedback(id, 30, true, 2).get("buffered").asInt());
    }
  }

  /** An integer where a boolean belongs is named as what it is, not as "an integer out of range". */
  @Test
  void aNumberForABooleanSaysTrueOrFalse() throws Exception {
    try (TestAgent a = agent()) {
      String id = a.allocate(50, 1000).get("allocation_id").asText();
      HttpResponse<String> r = a.post("/feedback", "{\"allocation_id\":\"" + id + "\",\"actual_usage\":50,\"qos_met\":1,\"pods\":1}");
      assertEquals(400, r.statusCode());
      assertEquals("qos_met must be true or false, got an integer", TestAgent.json(r).get("error").asText());
    }
  }

  @Test
  void nonUtf8BodiesAre400() throws Exception {
    try (TestAgent a = agent()) {
      byte[] latin1 = "{\"cores\":80,\"memory\":4000,\"pod\":\"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1);
      HttpResponse<String> r = a.post("/allocate", latin1);
      assertEquals(400, r.statusCode());
      assertTrue(r.body().contains("not valid UTF-8"), r.body());
      byte[] utf16 = "{\"cores\":80,\"memory\":4000}".getBytes(StandardCharsets.UTF_16);
      assertEquals(400, a.post("/allocate", utf16).statusCode());
      assertEquals(0, a.core.pending());
      // The same in UTF-8 is fine.
      assertEquals(200, a.post("/allocate", "{\"cores\":80,\"memory\":4000,\"pod\":\"caf\u00e9\"}").statusCode());
    }
  }

  @Test
  void unknownIdIs404SecondFeedbackIs409UnknownPathIs404WrongMethodIs405() throws Exception {
    try (TestAgent a = agent()) {
      String body = "{\"allocation_id\":\"nope\",\"actual_usage\":50,\"qos_met\":true,\"pods\":1}";
      HttpResponse<String> r = a.post("/feedback", body);
      assertEquals(404, r.statusCode());
      assertTrue(r.body().contains("unknown allocation_id 'nope'"), r.body());
      String id = a.allocate(50, 1000).get("allocation_id").asText();
      a.feedback(id, 40, true, 2);
      r = a.post("/feedback", body.replace("nope", id));
      assertEquals(409, r.statusCode());
      assertTrue(r.body().contains("already had its feedback"), r.body());
      assertEquals(1, a.core.buffered());
      assertEquals(404, a.get("/nothing").statusCode());
      assertEquals(405, a.get("/allocate").statusCode());
      assertEquals(405, a.post("/metrics", "{}").statusCode());
    }
  }

  @Test
  void bodiesOverOneMebibyteAre413() throws Exception {
    try (TestAgent a = agent()) {
      byte[] big = new byte[(1 << 20) + 1];
      java.util.Arrays.fill(big, (byte) ' ');
      big[0] = '{';
      big[big.length - 1] = '}';
      HttpResponse<String> r = a.post("/allocate", big);
      assertEquals(413, r.statusCode());
      assertTrue(TestAgent.json(r).get("error").asText().contains("exceeds"), r.body());
      assertEquals(0, a.core.pending());
      // Exactly the limit is read and judged on its content.
      byte[] limit = java.util.Arrays.copyOf(big, 1 << 20);
      limit[limit.length - 1] = '}';
      assertEquals(400, a.post("/allocate", limit).statusCode());
    }
  }

  @Test
  void bearerTokenIsRequiredExceptForHealthAndReadiness() throws Exception {
    String token = "s3cret-token-0123456789";
    try (TestAgent a = new TestAgent(PpoLearner.fresh(HP, new CpuBackend(), 1), FixedTelemetry.seedNode(),
        AgentOptions.defaults(), Durability.NONE, token)) {
      assertEquals(200, a.allocate(50, 1000).get("state").size() == 5 ? 200 : 0);
      for (String wrong : new String[] {null, "s3cret-token-0123456788", "", "s3cret-token-01234567890"}) {
        a.token = wrong;
        assertEquals(401, a.post("/allocate", "{\"cores\":50,\"memory\":1000}").statusCode(), "token " + wrong);
        assertEquals(401, a.get("/metrics").statusCode());
        assertEquals(401, a.get("/v1/policy").statusCode());
        assertEquals(200, a.get("/healthz").statusCode());
        assertEquals(200, a.get("/readyz").statusCode());
      }
      assertEquals(1, a.core.pending());
    }
  }

  @Test
  void readinessFollowsTelemetry() throws Exception {
    FixedTelemetry t = FixedTelemetry.seedNode();
    try (TestAgent a = new TestAgent(PpoLearner.fresh(HP, new CpuBackend(), 1), t, AgentOptions.defaults(), Durability.NONE, null)) {
      t.failing = true;
      HttpResponse<String> r = a.get("/readyz");
      assertEquals(503, r.statusCode());
      assertTrue(r.body().contains("test telemetry is failing"), r.body());
      assertEquals(503, a.post("/allocate", "{\"cores\":50,\"memory\":1000}").statusCode());
      assertEquals(200, a.get("/healthz").statusCode());
      assertEquals(0, a.core.pending());
    }
  }

  @Test
  void thirtyTwoFeedbacksTriggerAnUpdateShownInPolicyAndMetrics() throws Exception {
    try (TestAgent a = agent()) {
      for (int i = 0; i < 32; i++) a.feedback(a.allocate(50, 1000).get("allocation_id").asText(), 30, true, 2);
      assertTrue(a.core.awaitIdle(10_000));
      JsonNode p = TestAgent.json(a.get("/v1/policy"));
      assertEquals(1, p.get("updates").asLong());
      assertEquals(1, p.get("version").asLong());
      assertTrue(p.get("last_update").get("policy_loss").isNumber(), p.toString());
      assertEquals(1, a.allocate(50, 1000).get("policy_version").asLong());
      String m = a.get("/metrics").body();
      assertTrue(m.contains("edgeppo_train_updates_total 1"), m);
      assertTrue(m.contains("edgeppo_train_value_loss "), m);
    }
  }

  /** Records every experience the core completes, as the journal would. */
  static final class Recorder implements Durability {
    final List<Experience> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    final List<Long> trainedThrough = java.util.Collections.synchronizedList(new ArrayList<>());
    public void append(Experience e) { seen.add(e); }
    public void sync(long seq) {}
    public void updated(PpoLearner.Snapshot l, long through, UpdateMetrics m) { trainedThrough.add(through); }
  }

  @Test
  void manyThreadsLoseNoExperienceAndCountNoneTwice() throws Exception {
    Recorder rec = new Recorder();
    int threads = 8, perThread = 60;
    try (TestAgent a = new TestAgent(PpoLearner.fresh(HP, new CpuBackend(), 1), FixedTelemetry.seedNode(),
        AgentOptions.defaults().with(b -> b.seed(5)), rec, null)) {
      Set<String> ids = ConcurrentHashMap.newKeySet();
      ExecutorService ex = Executors.newFixedThreadPool(threads);
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        fs.add(ex.submit(() -> {
          for (int i = 0; i < perThread; i++) {
            String id = a.allocate(20 + i % 70, 1000 + i).get("allocation_id").asText();
            ids.add(id);
            a.feedback(id, i % 100, i % 2 == 0, 1 + i % 4);
            // A racing duplicate must be refused, never counted.
            assertEquals(409, a.post("/feedback", "{\"allocation_id\":\"" + id
                + "\",\"actual_usage\":1,\"qos_met\":true,\"pods\":1}").statusCode());
          }
          return null;
        }));
      }
      for (Future<?> f : fs) f.get();
      ex.shutdown();
      assertTrue(a.core.awaitIdle(20_000));
      int total = threads * perThread;
      assertEquals(total, ids.size());
      assertEquals(total, rec.seen.size());
      Set<Long> seqs = new HashSet<>();
      for (Experience e : rec.seen) seqs.add(e.seq());
      assertEquals(total, seqs.size());
      assertEquals(total / 32, a.core.updates());
      assertEquals(total % 32, a.core.buffered());
      assertEquals(a.core.updates() * 32 - 1, rec.trainedThrough.getLast());
      assertEquals(0, a.core.pending());
      assertTrue(a.get("/metrics").body().contains("edgeppo_reward_count " + total), "reward histogram count");
    }
  }
}
