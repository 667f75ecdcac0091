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
        assertEquals(JitWarmup.warmupShape(SMALL).batchSize(), b.size(), "the warm-up's small batch");
        assertEquals(SMALL.hidden(), p.layout().hidden(), "a small learner is warmed at its own width");
        return cpu.update(p, a, b, hp);
      }
    };
    // Windows of 20 and two stable ones past the first: it cannot settle before 60 updates, so 7 is the bound.
    JitWarmup.Result r = JitWarmup.run(counting, SMALL, 7, java.time.Duration.ofHours(1), () -> false);
    assertEquals(7, r.updates());
    assertEquals(7, updates.get());
    assertFalse(r.settled());
  }

  @Test
  void stopsAtOnceWhenCancelled() {
    AtomicInteger updates = new AtomicInteger();
    JitWarmup.Result r = JitWarmup.run(new CpuBackend(), SMALL, 1000, java.time.Duration.ofHours(1), () -> updates.incrementAndGet() > 3);
    assertEquals(3, r.updates());
  }

  /** A clock the test moves: each update "takes" {@code stepNanos}, nothing is measured. */
  static final class FakeClock implements java.util.function.LongSupplier {
    long now = 1_000_000_000L;
    public long getAsLong() { return now; }
  }

  @Test
  void stopsAtItsDeadlineWhateverTheShape() {
    FakeClock clock = new FakeClock();
    AtomicInteger updates = new AtomicInteger();
    // A wide, hundred-epoch learner; each warm-up update is made to "take" 700 ms on the fake clock.
    Hyperparameters big = Hyperparameters.defaults().withHidden(16).withBatchSize(64)
        .with(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("epochs", 100));
    UpdateBackend slow = new UpdateBackend() {
      final CpuBackend cpu = new CpuBackend();
      public String name() { return "slow"; }
      public UpdateMetrics update(PolicyParams p, AdamState a, RolloutBatch b, Hyperparameters hp) {
        updates.incrementAndGet();
        clock.now += 700_000_000L;
        return cpu.update(p, a, b, hp);
      }
    };
    JitWarmup.Result r = JitWarmup.run(slow, big, 1000, java.time.Duration.ofSeconds(3), clock, () -> false);
    // Checked before each update: 0, 0.7, 1.4, 2.1, 2.8 s are under 3 s, 3.5 s is not.
    assertEquals(5, r.updates());
    assertEquals(5, updates.get());
    assertEquals(3500, r.millis());
    assertFalse(r.settled());
  }

  @Test
  void aZeroDeadlineRunsNothingAndANegativeOneIsRefused() {
    FakeClock clock = new FakeClock();
    assertEquals(0, JitWarmup.run(new CpuBackend(), SMALL, 1000, java.time.Duration.ZERO, clock, () -> false).updates());
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> JitWarmup.run(new CpuBackend(), SMALL, 1000, java.time.Duration.ofMillis(-1), clock, () -> false));
  }

  @Test
  void theWarmupShapeIsOneEpochOfAFewSmallMinibatchesWithTheLearnersRemainders() {
    com.fasterxml.jackson.databind.node.JsonNodeFactory f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
    Hyperparameters big = Hyperparameters.defaults().withHidden(256).withBatchSize(512)
        .with(f.objectNode().put("epochs", 100).put("minibatch_size", 64));
    Hyperparameters w = JitWarmup.warmupShape(big);
    assertEquals(64, w.hidden(), "256 = 4 x 64: no remainder");
    assertEquals(1, w.epochs());
    assertEquals(64, w.minibatchSize());
    assertEquals(2 * 64, w.batchSize(), "two minibatches");
    // Odd sizes keep their remainder modulo 64 (so modulo 4, 8 and 16 lanes): the same loop tails run.
    Hyperparameters odd = Hyperparameters.defaults().withHidden(200).withBatchSize(1000)
        .with(f.objectNode().put("minibatch_size", 150));
    Hyperparameters wo = JitWarmup.warmupShape(odd);
    assertEquals(64 + 200 % 64, wo.hidden());
    assertEquals(64 + 150 % 64, wo.minibatchSize());
    assertEquals(2 * (64 + 150 % 64), wo.batchSize());
    // Small learners are warmed at their own size; whole-batch minibatches stay whole.
    Hyperparameters whole = Hyperparameters.defaults().withHidden(8).withBatchSize(32)
        .with(f.objectNode().put("minibatch_size", 0));
    assertEquals(8, JitWarmup.warmupShape(whole).hidden());
    assertEquals(32, JitWarmup.warmupShape(whole).batchSize());
    assertEquals(0, JitWarmup.warmupShape(whole).minibatchSize());
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
