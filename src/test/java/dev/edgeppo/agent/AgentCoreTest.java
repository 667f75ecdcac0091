package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.Policy;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.ppo.UpdateMetrics;
import dev.edgeppo.telemetry.TelemetryException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AgentCoreTest {
  static final Hyperparameters HP = Hyperparameters.defaults();
  final AtomicLong now = new AtomicLong(1_000_000);
  final InstantSource clock = () -> Instant.ofEpochMilli(now.get());

  AgentCore core(FixedTelemetry t, AgentOptions o, Durability d) {
    return new AgentCore(PpoLearner.fresh(HP, new CpuBackend(), 42), t, o.with(b -> b.clock(clock)), d, 0);
  }

  AgentOptions inline() { return AgentOptions.defaults().with(b -> b.trainInline(true).seed(7).maxMemoryMb(32768L)); }

  /** Records what the core hands to durability, as an independent view of each experience. */
  static final class Recorder implements Durability {
    final List<Experience> appended = new ArrayList<>();
    final List<Long> synced = new ArrayList<>();
    final List<Long> trainedThrough = new ArrayList<>();
    public synchronized void append(Experience e) { appended.add(e); }
    public synchronized void sync(long seq) { synced.add(seq); }
    public synchronized void updated(PpoLearner.Snapshot l, long through, UpdateMetrics m) { trainedThrough.add(through); }
  }

  @Test
  void badInputChangesNothing() {
    Recorder r = new Recorder();
    AgentCore c = core(FixedTelemetry.seedNode(), inline(), r);
    assertThrows(BadInputException.class, () -> c.allocate(new AllocateRequest(0, 100, null, null)));
    assertThrows(BadInputException.class, () -> c.allocate(new AllocateRequest(101, 100, null, null)));
    assertThrows(BadInputException.class, () -> c.allocate(new AllocateRequest(50, 0, null, null)));
    assertThrows(BadInputException.class, () -> c.allocate(new AllocateRequest(50, 10, null, "3")));
    Allocation a = c.allocate(new AllocateRequest(50, 1000, "ns/p", null));
    assertThrows(BadInputException.class, () -> c.feedback(new Feedback(a.allocationId(), Double.NaN, true, 1, false)));
    assertThrows(BadInputException.class, () -> c.feedback(new Feedback(a.allocationId(), 100.5, true, 1, false)));
    assertThrows(BadInputException.class, () -> c.feedback(new Feedback(a.allocationId(), 50, true, 0, false)));
    assertThrows(BadInputException.class, () -> c.feedback(new Feedback("", 50, true, 1, false)));
    assertEquals(1, c.pending());
    assertEquals(0, c.buffered());
    assertTrue(r.appended.isEmpty());
    // The allocation is still answerable after all that.
    c.feedback(new Feedback(a.allocationId(), 40, true, 2, false));
    assertEquals(1, c.buffered());
  }

  @Test
  void unknownIdIs404SecondFeedbackIs409() {
    AgentCore c = core(FixedTelemetry.seedNode(), inline(), Durability.NONE);
    assertThrows(UnknownAllocationException.class, () -> c.feedback(new Feedback("nope", 1, true, 1, false)));
    Allocation a = c.allocate(new AllocateRequest(80, 4000, null, null));
    c.feedback(new Feedback(a.allocationId(), 55, true, 3, false));
    assertThrows(DuplicateFeedbackException.class, () -> c.feedback(new Feedback(a.allocationId(), 55, true, 3, false)));
    assertEquals(1, c.buffered());
    assertEquals(0, c.pending());
  }

  @Test
  void telemetryFailureAtFeedbackLeavesTheAllocationAnswerable() {
    FixedTelemetry t = FixedTelemetry.seedNode();
    AgentCore c = core(t, inline(), Durability.NONE);
    Allocation a = c.allocate(new AllocateRequest(80, 4000, null, null));
    t.failing = true;
    assertThrows(TelemetryException.class, () -> c.feedback(new Feedback(a.allocationId(), 55, true, 3, false)));
    t.failing = false;
    c.feedback(new Feedback(a.allocationId(), 55, true, 3, false));
    assertEquals(1, c.buffered());
  }

  @Test
  void experienceHoldsStateActionLogProbValueRewardAndNextState() {
    Recorder r = new Recorder();
    FixedTelemetry t = FixedTelemetry.seedNode();
    AgentCore c = core(t, inline(), r);
    Allocation a = c.allocate(new AllocateRequest(80, 4000, "ns/p", null));
    assertArrayEquals(new float[] {0.80f, 0.12f, 0.45f, 0.30f, 0.20f}, a.state(), 0.005f);
    assertEquals(0, a.gpuIndex());
    assertEquals("GPU-test-0", a.gpuUuid());
    t.gpus = List.of(FixedTelemetry.gpu(0, 90, 10000, 5000, 3));
    FeedbackResult fr = c.feedback(new Feedback(a.allocationId(), 55, true, 3, true));
    Experience e = r.appended.getFirst();
    assertEquals(Reward.of(a.cores(), 55, true, 3), fr.reward(), 1e-6);
    assertEquals((float) fr.reward(), e.reward());
    assertArrayEquals(a.state(), e.state());
    assertArrayEquals(new float[] {0.80f, 4000 / 32768f, 0.90f, 0.50f, 0.30f}, e.nextState(), 1e-6f);
    assertTrue(e.done());
    // Independent reference: the Gaussian log-density of the stored action around the policy's mean.
    Policy p = c.learner().policy();
    float[] mean = p.mean(e.state());
    float[] std = p.std();
    double lp = 0;
    for (int d = 0; d < 2; d++) {
      double z = (e.action()[d] - mean[d]) / std[d];
      lp += -0.5 * z * z - Math.log(std[d]) - 0.5 * Math.log(2 * Math.PI);
    }
    assertEquals(lp, e.logProb(), 1e-4);
    assertEquals(p.value(e.state()), e.value(), 1e-6);
    // The grant is the stored (unclipped) action converted.
    assertEquals(ActionMapper.grant(e.action(), 80, 4000, 32768), new ActionMapper.Grant(a.cores(), a.memoryMb()));
    assertEquals(List.of(0L), r.synced);
  }

  @Test
  void inferModeAnswersTheMeanAndLearnsNothing() {
    AgentCore c = core(FixedTelemetry.seedNode(), inline().with(b -> b.mode(Mode.INFER)), Durability.NONE);
    Allocation a = c.allocate(new AllocateRequest(100, 32768, null, null));
    Allocation b = c.allocate(new AllocateRequest(100, 32768, null, null));
    assertEquals(a.cores(), b.cores());
    assertEquals(a.memoryMb(), b.memoryMb());
    float[] mean = c.learner().policy().mean(a.state());
    assertEquals(ActionMapper.grant(mean, 100, 32768, 32768), new ActionMapper.Grant(a.cores(), a.memoryMb()));
    FeedbackResult r = c.feedback(new Feedback(a.allocationId(), 30, true, 1, false));
    assertEquals(0, r.buffered());
    assertEquals(0, c.buffered());
  }

  @Test
  void pendingExpiresAfterTheTtl() {
    AgentCore c = core(FixedTelemetry.seedNode(), inline().with(b -> b.pendingTtl(Duration.ofMinutes(30))), Durability.NONE);
    Allocation old = c.allocate(new AllocateRequest(50, 1000, null, null));
    now.addAndGet(Duration.ofMinutes(20).toMillis());
    Allocation young = c.allocate(new AllocateRequest(50, 1000, null, null));
    now.addAndGet(Duration.ofMinutes(10).toMillis() + 1);
    assertEquals(2, c.pending());
    UnknownAllocationException e = assertThrows(UnknownAllocationException.class,
        () -> c.feedback(new Feedback(old.allocationId(), 10, true, 1, false)));
    assertTrue(e.getMessage().contains("expired"), e.getMessage());
    assertEquals(1, c.expired());
    assertEquals(1, c.pending());
    c.feedback(new Feedback(young.allocationId(), 10, true, 1, false));
    // Later ones go by the sweep without anyone asking.
    Allocation lost = c.allocate(new AllocateRequest(50, 1000, null, null));
    now.addAndGet(Duration.ofMinutes(31).toMillis());
    c.sweep();
    assertEquals(2, c.expired());
    assertEquals(0, c.pending());
    assertThrows(UnknownAllocationException.class, () -> c.feedback(new Feedback(lost.allocationId(), 10, true, 1, false)));
  }

  @Test
  void batchOf32TrainsInlineOnExactlyThoseExperiences() {
    Recorder r = new Recorder();
    AgentCore c = core(FixedTelemetry.seedNode(), inline(), r);
    for (int i = 0; i < 31; i++) {
      Allocation a = c.allocate(new AllocateRequest(20 + i, 1000 + 100L * i, null, null));
      FeedbackResult fr = c.feedback(new Feedback(a.allocationId(), i, i % 3 != 0, 1 + i % 4, i % 10 == 9));
      assertEquals(i + 1, fr.buffered());
      assertFalse(fr.training());
    }
    assertEquals(0, c.updates());
    Allocation a = c.allocate(new AllocateRequest(90, 9000, null, null));
    FeedbackResult last = c.feedback(new Feedback(a.allocationId(), 50, true, 2, false));
    assertTrue(last.training());
    assertEquals(1, c.updates());
    assertEquals(0, c.buffered());
    assertEquals(1, c.learner().policy().version());
    assertEquals(List.of(31L), r.trainedThrough);
    // Independent check: the same update run by hand on the recorded experiences gives the same parameters.
    PpoLearner ref = PpoLearner.fresh(HP, new CpuBackend(), 42);
    ref.update(Trainer.toBatch(r.appended));
    assertArrayEquals(ref.policy().params().data(), c.learner().policy().params().data());
    assertNotEquals(PpoLearner.fresh(HP, new CpuBackend(), 42).policy().params().data()[0],
        c.learner().policy().params().data()[0]);
    assertEquals(c.learner().policy().version(), c.allocate(new AllocateRequest(10, 10, null, null)).policyVersion());
  }

  @Test
  void backgroundTrainerRunsEveryFullBatch() throws Exception {
    Recorder r = new Recorder();
    try (AgentCore c = core(FixedTelemetry.seedNode(), inline().with(b -> b.trainInline(false)), r)) {
      for (int i = 0; i < 70; i++) {
        Allocation a = c.allocate(new AllocateRequest(50, 1000, null, null));
        c.feedback(new Feedback(a.allocationId(), 40, true, 2, false));
      }
      assertTrue(c.awaitIdle(10_000));
      assertEquals(2, c.updates());
      assertEquals(6, c.buffered());
      assertEquals(List.of(31L, 63L), r.trainedThrough);
    }
  }

  @Test
  void replayedExperiencesTrainAndNumberingContinues() {
    Recorder first = new Recorder();
    AgentCore a = core(FixedTelemetry.seedNode(), inline(), first);
    for (int i = 0; i < 20; i++) {
      Allocation x = a.allocate(new AllocateRequest(50, 1000, null, null));
      a.feedback(new Feedback(x.allocationId(), 40, true, 2, false));
    }
    Recorder second = new Recorder();
    AgentCore b = core(FixedTelemetry.seedNode(), inline(), second);
    b.replay(first.appended);
    assertEquals(20, b.buffered());
    assertEquals(20, b.nextSeq());
    for (int i = 0; i < 12; i++) {
      Allocation x = b.allocate(new AllocateRequest(50, 1000, null, null));
      b.feedback(new Feedback(x.allocationId(), 40, true, 2, false));
    }
    assertEquals(1, b.updates());
    assertEquals(20, second.appended.getFirst().seq());
    assertEquals(12, second.appended.size());
  }

  @Test
  void pastMaxPendingTheOldestAllocationExpires() {
    AgentCore c = core(FixedTelemetry.seedNode(), inline().with(b -> b.maxPending(3)), Durability.NONE);
    List<Allocation> as = new ArrayList<>();
    for (int i = 0; i < 5; i++) as.add(c.allocate(new AllocateRequest(50, 1000, null, null)));
    assertEquals(2, c.expired());
    assertEquals(3, c.pending());
    for (int i = 0; i < 2; i++) {
      String id = as.get(i).allocationId();
      assertThrows(UnknownAllocationException.class, () -> c.feedback(new Feedback(id, 10, true, 1, false)));
    }
    for (int i = 2; i < 5; i++) c.feedback(new Feedback(as.get(i).allocationId(), 10, true, 1, false));
    assertEquals(3, c.buffered());
    // Answered marks count towards the cap too, but dropping them expires nothing.
    c.allocate(new AllocateRequest(50, 1000, null, null));
    assertEquals(2, c.expired());
    assertEquals(1, c.pending());
  }
}
