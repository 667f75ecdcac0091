package dev.edgeppo.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Issue 9 item 7: on main, {@code updates()} and {@code snapshot()} were synchronized with {@code update()},
 * so /metrics, /v1/policy and the shutdown checkpoint waited for the whole update. Readers now see the last
 * published state at once, and a consistent one.
 */
class PpoLearnerReadersTest {
  static RolloutBatch batch(int t) {
    SplittableRandom r = new SplittableRandom(1);
    RolloutBatch b = RolloutBatch.allocate(t);
    for (int i = 0; i < b.states().length; i++) { b.states()[i] = (float) r.nextDouble(); b.nextStates()[i] = (float) r.nextDouble(); }
    for (int i = 0; i < b.actions().length; i++) b.actions()[i] = (float) r.nextDouble();
    for (int i = 0; i < t; i++) { b.rewards()[i] = (float) r.nextDouble(); b.logProbs()[i] = -1f; }
    return b;
  }

  @Test
  void readersNeverWaitForARunningUpdate() throws Exception {
    BlockingBackend slow = new BlockingBackend();
    PpoLearner l = PpoLearner.fresh(Hyperparameters.defaults(), slow, 1);
    PpoLearner.Snapshot s0 = l.snapshot();
    float[] before = s0.params().data().clone();
    Thread trainer = Thread.ofPlatform().start(() -> l.update(batch(32)));
    slow.awaitStarted();
    assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
      assertEquals(0, l.updates());
      assertEquals(0, l.snapshot().updates());
      assertEquals(0, l.policy().version());
      assertNull(l.lastMetrics());
    }, "a reader waited for the running update");
    slow.gate.countDown();
    trainer.join();
    assertEquals(1, l.updates());
    assertEquals(1, l.snapshot().updates());
    assertEquals(1, l.policy().version());
    // A published snapshot is never written again: the one taken before the update still holds what it held.
    org.junit.jupiter.api.Assertions.assertArrayEquals(before, s0.params().data());
    float[] after = l.snapshot().params().data();
    boolean changed = false;
    for (int i = 0; i < after.length; i++) changed |= after[i] != before[i];
    assertEquals(true, changed, "the update changed the parameters");
  }
}
