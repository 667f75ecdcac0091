package dev.edgeppo.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgeppo.ppo.AdamState;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PolicyParams;
import dev.edgeppo.ppo.RolloutBatch;
import dev.edgeppo.ppo.UpdateBackend;
import dev.edgeppo.ppo.UpdateMetrics;
import dev.edgeppo.sim.pendulum.Pendulum;
import dev.edgeppo.sim.pendulum.PendulumTrainer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The batches the Pendulum trainer hands the learner: env-major stretches, cuts bootstrapped. */
class PendulumTrainerTest {
  /** The CPU backend, keeping a copy of each batch and of the parameters it was given. */
  static final class Recording implements UpdateBackend {
    final CpuBackend cpu = new CpuBackend();
    final List<RolloutBatch> batches = new ArrayList<>();
    final List<PolicyParams> before = new ArrayList<>();

    @Override public String name() { return "recording"; }

    @Override
    public UpdateMetrics update(PolicyParams p, AdamState a, RolloutBatch b, Hyperparameters hp) {
      batches.add(b);
      before.add(p.copy());
      return cpu.update(p, a, b, hp);
    }
  }

  @Test
  void cutsEachEnvsStretchAndEachEpisodeWithABootstrappedDone() {
    int envs = 2, steps = 150;
    Hyperparameters hp = Hyperparameters.withOverrides(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
        .put("gamma", 0.9).put("batch_size", envs * steps).put("minibatch_size", 50).put("epochs", 2));
    Recording rec = new Recording();
    new PendulumTrainer(hp, envs, steps, 4).train(rec, 600, p -> {}).close();
    assertEquals(2, rec.batches.size());
    // Across two rollouts each env has run 300 steps: its episode ended at its 200th step, in the second rollout.
    RolloutBatch b = rec.batches.get(1);
    dev.edgeppo.ppo.Policy before = new dev.edgeppo.ppo.Policy(rec.before.get(1), 1);
    for (int e = 0; e < envs; e++) {
      for (int s = 0; s < steps; s++) {
        int i = e * steps + s;
        boolean episodeEnd = steps + s + 1 == Pendulum.EPISODE_STEPS;
        boolean cut = episodeEnd || s == steps - 1;
        assertEquals(cut ? 1f : 0f, b.dones()[i], "env " + e + " step " + s);
        if (!cut) continue;
        float[] next = java.util.Arrays.copyOfRange(b.nextStates(), i * 5, i * 5 + 5);
        // The raw reward is minus the cost of the state before the step, recovered from the stored state.
        float[] st = java.util.Arrays.copyOfRange(b.states(), i * 5, i * 5 + 5);
        double theta = Math.atan2(st[1], st[0]), dot = st[2] * 8.0;
        double u = Pendulum.torque(java.util.Arrays.copyOfRange(b.actions(), i * 2, i * 2 + 2));
        double raw = -(theta * theta + 0.1 * dot * dot + 0.001 * u * u);
        assertEquals(raw + 0.9 * before.value(next), b.rewards()[i], 1e-3, "cut at env " + e + " step " + s);
      }
    }
  }

  @Test
  void refusesABatchSizeThatIsNotEnvsTimesSteps() {
    assertThrows(IllegalArgumentException.class, () -> new PendulumTrainer(Hyperparameters.defaults(), 4, 1024, 1));
  }
}
