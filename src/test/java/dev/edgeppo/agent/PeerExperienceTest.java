package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgeppo.json.Json;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.ParamLayout;
import dev.edgeppo.ppo.Policy;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.ppo.RolloutBatch;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A fleet's experience sharing on the agent's side (docs/fleet.md, "Experience"): the core keeps its newest own
 * experiences for the fleet, and trains on peers' experiences in batches exactly as a PPO update on that batch
 * would (advantage r − V(s) of its own critic, the behaviour log-prob as carried), counted apart from its own
 * updates; with γ ≠ 0 it refuses them.
 */
class PeerExperienceTest {
  static final Hyperparameters HP;

  static {
    try {
      HP = Hyperparameters.serving().with(Json.MAPPER.readTree(
          "{\"batch_size\":4,\"minibatch_size\":4,\"epochs\":2,\"hidden\":8,\"replay_size\":0}"));
    } catch (java.io.IOException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  static AgentCore core(Hyperparameters hp) {
    return new AgentCore(PpoLearner.fresh(hp, new CpuBackend(), 5), FixedTelemetry.seedNode(),
        AgentOptions.defaults().with(b -> b.trainInline(true).seed(3)));
  }

  /** {@code n} peer experiences; seq −1, value and next state left to the trainer, as CoreLearner hands them over. */
  static List<Experience> peers(int n) {
    List<Experience> out = new ArrayList<>();
    for (int i = 0; i < n; i++)
      out.add(new Experience(-1, new float[] {0.1f * i, 0.5f, 0.2f, 0.3f, 0.4f}, new float[] {0.3f + 0.05f * i, 0.6f}, -0.8f - 0.1f * i,
          0f, i % 2 == 0 ? 1.2f : -0.4f, new float[ParamLayout.STATE_DIM], false));
    return out;
  }

  @Test
  void theNewestOwnExperiencesAreKeptInSeqOrder() {
    try (AgentCore c = core(HP)) {
      for (int i = 0; i < AgentCore.RECENT_EXPERIENCES + 6; i++) DurabilityFaultTest.feedback(c, DurabilityFaultTest.allocate(c, i));
      List<Experience> r = c.recentExperiences();
      assertEquals(AgentCore.RECENT_EXPERIENCES, r.size());
      assertEquals(6, r.getFirst().seq(), "the oldest six fell out");
      assertEquals(AgentCore.RECENT_EXPERIENCES + 5, r.getLast().seq());
      for (int i = 1; i < r.size(); i++) assertEquals(r.get(i - 1).seq() + 1, r.get(i).seq());
    }
  }

  @Test
  void peersExperiencesAreTrainedAsAnUpdateOnThemWouldBeAndCountedApart() {
    try (AgentCore c = core(HP)) {
      // The reference: the same learner, updated by hand on the batch the trainer should build.
      PpoLearner ref = PpoLearner.fresh(HP, new CpuBackend(), 5);
      List<Experience> es = peers(6);
      Policy before = ref.policy();
      RolloutBatch b = RolloutBatch.allocate(4);
      for (int i = 0; i < 4; i++) {
        Experience e = es.get(i);
        System.arraycopy(e.state(), 0, b.states(), i * ParamLayout.STATE_DIM, ParamLayout.STATE_DIM);
        System.arraycopy(e.action(), 0, b.actions(), i * ParamLayout.ACTION_DIM, ParamLayout.ACTION_DIM);
        System.arraycopy(e.state(), 0, b.nextStates(), i * ParamLayout.STATE_DIM, ParamLayout.STATE_DIM);
        b.logProbs()[i] = e.logProb();
        b.values()[i] = before.value(e.state());
        b.rewards()[i] = e.reward();
        b.dones()[i] = 1;
      }
      ref.update(b);

      c.trainOnPeers(es);
      assertEquals(1, c.updates(), "one full batch of four; two wait for more");
      assertEquals(1, c.peerUpdates());
      assertEquals(0, c.ownUpdates());
      assertArrayEquals(ref.snapshot().params().data(), c.learner().snapshot().params().data(), 0f);
      assertEquals(List.of(), c.recentExperiences(), "peers' experiences are not this agent's to share");
      assertEquals(0, c.nextSeq(), "nor journaled");
      c.trainOnPeers(peers(2));
      assertEquals(2, c.peerUpdates(), "the two waiting and two more: a batch");
    }
  }

  @Test
  void aLearnerWithAnotherGammaRefusesPeersExperiences() throws Exception {
    try (AgentCore c = core(HP.with(Json.MAPPER.readTree("{\"gamma\":0.9}")))) {
      float[] before = c.learner().snapshot().params().data().clone();
      assertThrows(IllegalStateException.class, () -> c.trainOnPeers(peers(8)));
      assertEquals(0, c.updates());
      assertArrayEquals(before, c.learner().snapshot().params().data(), 0f);
    }
  }
}
