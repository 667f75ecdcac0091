package dev.edgeppo.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.ppo.Hyperparameters;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SPEC §6 at reduced size: a fresh agent with serve's defaults, learning through the node's pod observer, on
 * every scenario of the suite and both arrival shapes (one seed, 3,000 feedbacks, 400 scored arrivals a
 * point; README has the full suite): untrained within 0.05 of grant_requested, train-mode mean within 0.10
 * of it, and at 3,000 feedbacks beating it by a clear margin wherever the oracle shows headroom.
 */
class SuiteCriteriaTest {
  static Suite.Result run(Hyperparameters hp, List<UsageModel> scenarios, List<Integer> checkpoints, int eval) throws Exception {
    return Suite.run(new Suite.Config(scenarios, Suite.ARRIVALS, List.of(1L), checkpoints, eval, hp, "cpu", 0.5, 2.0,
        TraceReplay.excerpt(), 2), (d, t) -> {});
  }

  @Test
  void serveDefaultsMeetSpec6OnEveryScenario() throws Exception {
    Suite.Result r = run(Hyperparameters.serving(), List.of(UsageModel.values()), List.of(Suite.LEARNING_STRETCH), 400);
    // Every cell, the shift's included: here it comes at 1,500 feedbacks, and 1,500 later the agent must
    // already beat grant_requested again by the clear margin, learning from the observer's verdicts.
    assertEquals(List.of(), Suite.failures(r));
    long withHeadroom = r.cells().stream().filter(c -> c.headroom(Suite.LEARNING_STRETCH) >= Suite.HEADROOM).count();
    assertTrue(withHeadroom >= 8, "the suite must give PPO something to find: " + withHeadroom + " cells with headroom");
  }

  /**
   * The same check fails the seed's values: exploring with std 0.3 around a mean that grants 55 % of the
   * cores whatever the ask costs far more than 0.10 a pod while it learns.
   */
  @Test
  void theSeedsValuesFailIt() throws Exception {
    Suite.Result r = run(Hyperparameters.defaults(), List.of(UsageModel.CLASSES), List.of(64), 300);
    assertTrue(Suite.failures(r).stream().anyMatch(f -> f.startsWith("classes/trace/seed 1: train-mode mean")), Suite.failures(r).toString());
  }
}
