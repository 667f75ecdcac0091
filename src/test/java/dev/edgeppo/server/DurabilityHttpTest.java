package dev.edgeppo.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.agent.Durability;
import dev.edgeppo.agent.Experience;
import dev.edgeppo.agent.FixedTelemetry;
import dev.edgeppo.agent.StateDirException;
import dev.edgeppo.ppo.BlockingBackend;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.ppo.UpdateMetrics;
import java.net.http.HttpResponse;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What clients and probes see of the durability protocol: 503s without paths, /readyz, readers during an update. */
class DurabilityHttpTest {
  static final Path STATE = Path.of("/var/lib/edgeppo-test-state");

  /** A journal that is full (appends fail) until the test frees space, or broken outright. */
  static final class Disk implements Durability {
    volatile boolean full;
    volatile String broken;
    public void append(Experience e) {
      if (full) throw new StateDirException("cannot write the journal", STATE.resolve("journal.log"),
          new FileSystemException(STATE.resolve("journal.log").toString(), null, "No space left on device"));
    }
    public void sync(long seq) {}
    public void updated(PpoLearner.Snapshot s, long through, UpdateMetrics m) {}
    @Override public Optional<String> health() { return Optional.ofNullable(broken); }
  }

  @Test
  void aFullDiskGets503WithTheReasonButNoPathAndTheRetrySucceeds() throws Exception {
    Disk disk = new Disk();
    try (TestAgent a = new TestAgent(PpoLearner.fresh(Hyperparameters.defaults(), new CpuBackend(), 1), FixedTelemetry.seedNode(),
        AgentOptions.defaults(), disk, null)) {
      String id = a.allocate(50, 1000).get("allocation_id").asText();
      String body = "{\"allocation_id\":\"" + id + "\",\"actual_usage\":40,\"qos_met\":true,\"pods\":2}";
      disk.full = true;
      HttpResponse<String> refused = a.post("/feedback", body);
      assertEquals(503, refused.statusCode());
      assertTrue(refused.body().contains("No space left on device"), refused.body());
      assertFalse(refused.body().contains(STATE.toString()), "no state-dir path in a response: " + refused.body());
      disk.full = false;
      assertEquals(200, a.post("/feedback", body).statusCode(), "the same feedback, sent again, is accepted");
      assertEquals(409, a.post("/feedback", body).statusCode());
    }
  }

  @Test
  void readyzAnswers503WhileTheJournalIsBroken() throws Exception {
    Disk disk = new Disk();
    try (TestAgent a = new TestAgent(PpoLearner.fresh(Hyperparameters.defaults(), new CpuBackend(), 1), FixedTelemetry.seedNode(),
        AgentOptions.defaults(), disk, null)) {
      assertEquals(200, a.get("/readyz").statusCode());
      disk.broken = "journal fsync failed, and cutting it back failed too (Input/output error)";
      HttpResponse<String> r = a.get("/readyz");
      assertEquals(503, r.statusCode());
      assertTrue(r.body().contains("Input/output error"), r.body());
      assertTrue(a.get("/metrics").body().contains("edgeppo_journal_healthy 0.0"));
      disk.broken = null;
      assertEquals(200, a.get("/readyz").statusCode());
    }
  }

  /** Issue 9 item 7: on main /metrics and /v1/policy waited for the whole update (synchronized learner). */
  @Test
  void metricsAndPolicyAnswerWhileAnUpdateRuns() throws Exception {
    BlockingBackend slow = new BlockingBackend();
    try (TestAgent a = new TestAgent(PpoLearner.fresh(Hyperparameters.defaults(), slow, 1), FixedTelemetry.seedNode(),
        AgentOptions.defaults(), Durability.NONE, null)) {
      for (int i = 0; i < 32; i++) a.feedback(a.allocate(50, 1000 + i).get("allocation_id").asText(), 40, true, 2);
      slow.awaitStarted();
      try {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
          HttpResponse<String> m = a.get("/metrics");
          assertEquals(200, m.statusCode());
          assertTrue(m.body().contains("edgeppo_training 1.0"), "scraped during the update");
          HttpResponse<String> p = a.get("/v1/policy");
          assertEquals(200, p.statusCode());
          assertEquals(0, TestAgent.json(p).get("updates").asLong());
          assertTrue(TestAgent.json(p).get("training").asBoolean());
        }, "a reader waited for the running update");
      } finally {
        slow.gate.countDown();
      }
      assertTrue(a.core.awaitIdle(30_000));
      assertEquals(1, a.core.updates());
    }
  }
}
