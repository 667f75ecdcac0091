package dev.edgeppo.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** replay_size: each update also trains on the newest experiences of earlier batches, up to that many. */
class ReplayTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static RolloutBatch batch(int t, SplittableRandom r) {
    RolloutBatch b = RolloutBatch.allocate(t);
    for (int i = 0; i < b.states().length; i++) b.states()[i] = (float) r.nextDouble();
    for (int i = 0; i < b.actions().length; i++) b.actions()[i] = (float) r.nextDouble();
    for (int i = 0; i < t; i++) {
      b.logProbs()[i] = (float) (-1 - r.nextDouble());
      b.rewards()[i] = (float) r.nextDouble();
      b.dones()[i] = 1f;
    }
    System.arraycopy(b.states(), 0, b.nextStates(), 0, b.states().length);
    return b;
  }

  @Test
  void eachUpdateTrainsOnTheNewBatchAndUpToReplaySizeBeforeIt() {
    Hyperparameters hp = Hyperparameters.defaults().with(JSON.createObjectNode().put("gamma", 0.0).put("replay_size", 64).put("hidden", 8));
    PpoLearner l = PpoLearner.fresh(hp, new CpuBackend(), 1);
    SplittableRandom r = new SplittableRandom(2);
    int[] expected = {32, 64, 96, 96, 96};
    for (int want : expected) assertEquals(want, l.update(batch(32, r)).batchSize());
  }

  /** Without replay the learner does exactly SPEC's update on the batch it is given. */
  @Test
  void withoutReplayTheUpdateIsSpecsOnTheBatchAlone() {
    Hyperparameters hp = Hyperparameters.defaults().withHidden(8);
    PpoLearner a = PpoLearner.fresh(hp, new CpuBackend(), 1), b = PpoLearner.fresh(hp, new CpuBackend(), 1);
    SplittableRandom r = new SplittableRandom(3);
    RolloutBatch first = batch(32, r), second = batch(32, r);
    a.update(first);
    a.update(second);
    b.update(first);
    PolicyParams direct = b.snapshot().params().copy();
    new CpuBackend().update(direct, b.snapshot().adam().copy(), second, hp);
    assertEquals(java.util.Arrays.toString(direct.data()), java.util.Arrays.toString(a.snapshot().params().data()));
    Hyperparameters rp = hp.with(JSON.createObjectNode().put("gamma", 0.0).put("replay_size", 32));
    PpoLearner c = PpoLearner.fresh(rp, new CpuBackend(), 1);
    c.update(first);
    c.update(second);
    assertNotEquals(java.util.Arrays.toString(direct.data()), java.util.Arrays.toString(c.snapshot().params().data()),
        "with replay the second update also saw the first batch");
  }

  @Test
  void replayNeedsEachExperienceToBeItsOwnEpisode() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Hyperparameters.defaults().with(JSON.createObjectNode().put("replay_size", 32)));
    assertTrue(e.getMessage().contains("replay_size > 0 needs gamma 0"), e.getMessage());
  }
}
