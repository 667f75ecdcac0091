package dev.edgeppo.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The start-up warm-up is bounded, stops when asked, and its batch is one the backend accepts. */
class JitWarmupTest {
  static final Hyperparameters SMALL = Hyperparameters.defaults().withHidden(8).withBatchSize(4);

  @Test
  void stopsAtItsBoundAndCountsWhatItRan() {
    AtomicInteger updates = new AtomicInteger();
    UpdateBackend counting = new UpdateBackend() {
      final CpuBackend cpu = new CpuBackend();
      public String name() { return "counting"; }
      public UpdateMetrics update(PolicyParams p, AdamState a, RolloutBatch b, Hyperparameters hp) {
        updates.incrementAndGet();
        assertEquals(SMALL.batchSize(), b.size(), "the learner's own batch size");
        assertEquals(SMALL.hidden(), p.layout().hidden(), "the learner's own width");
        return cpu.update(p, a, b, hp);
      }
    };
    // Windows of 20 and two stable ones past the first: it cannot settle before 60 updates, so 7 is the bound.
    JitWarmup.Result r = JitWarmup.run(counting, SMALL, 7, () -> false);
    assertEquals(7, r.updates());
    assertEquals(7, updates.get());
    assertFalse(r.settled());
  }

  @Test
  void stopsAtOnceWhenCancelled() {
    AtomicInteger updates = new AtomicInteger();
    JitWarmup.Result r = JitWarmup.run(new CpuBackend(), SMALL, 1000, () -> updates.incrementAndGet() > 3);
    assertEquals(3, r.updates());
  }

  @Test
  void theSyntheticBatchIsValidAndRepeatable() {
    RolloutBatch a = JitWarmup.syntheticBatch(32, new SplittableRandom(7));
    RolloutBatch b = JitWarmup.syntheticBatch(32, new SplittableRandom(7));
    assertEquals(32, a.size());
    assertTrue(java.util.Arrays.equals(a.states(), b.states()) && java.util.Arrays.equals(a.rewards(), b.rewards()));
    for (float d : a.dones()) assertTrue(d == 0f || d == 1f);
  }
}
