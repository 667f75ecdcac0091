package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.observe.Ending;
import dev.edgeppo.observe.PodObserver;
import dev.edgeppo.observe.Verdict;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The core as the pod observer's sink: the observed feedback takes the one feedback path, and first wins. */
class ObservedFeedbackPathTest {
  static final String POD = "0a1b2c3d-4e5f-4061-8728-394a5b6c7d8e";

  final AgentCoreTest.Recorder journal = new AgentCoreTest.Recorder();
  final AgentCore core = new AgentCore(PpoLearner.fresh(Hyperparameters.defaults(), new CpuBackend(), 3),
      FixedTelemetry.seedNode(), AgentOptions.defaults().with(b -> b.trainInline(true).seed(1).maxMemoryMb(32768L)), journal, 0);
  final PodObserver.Sink sink = core.observerSink();

  static Verdict verdict(double usage, boolean qos, int pods, boolean done) {
    return new Verdict(usage, qos, pods, done, 3, 0, 100, done ? Ending.POD_ENDED : Ending.WINDOW_CLOSED, List.of("a", "b"));
  }

  @Test
  void anObservedFeedbackIsJournaledRewardedAndKeptWithItsWhy() {
    Allocation a = core.allocate(new AllocateRequest(80, 4000, "ns/p", null, POD.toUpperCase().replace('-', '_')));
    AllocationTable.View v = core.allocation(a.allocationId()).orElseThrow();
    assertEquals(POD, v.record().podUid(), "stored in the API's spelling");
    assertEquals(List.of("not observed: this agent runs no pod observer"), v.observation().why());

    assertEquals(PodObserver.Sink.State.PENDING, sink.state(a.allocationId()));
    assertEquals(PodObserver.Sink.Outcome.RECORDED, sink.report(a.allocationId(), verdict(30, true, 3, true)));
    v = core.allocation(a.allocationId()).orElseThrow();
    assertEquals(AllocationTable.Status.ANSWERED, v.status());
    assertEquals(AllocationTable.Source.OBSERVED, v.answer().source());
    assertEquals(Reward.of(a.cores(), 30, true, 3), v.answer().reward(), 1e-6);
    assertEquals(List.of("a", "b"), v.observation().why());
    assertEquals(3, v.observation().samples());
    assertEquals(1, journal.appended.size());
    assertTrue(journal.appended.getFirst().done());
    assertEquals(PodObserver.Sink.State.ANSWERED, sink.state(a.allocationId()));

    // Whoever comes second: the observer is told, POST /feedback gets 409; nothing more is journaled.
    assertEquals(PodObserver.Sink.Outcome.ALREADY_ANSWERED, sink.report(a.allocationId(), verdict(50, false, 1, false)));
    assertThrows(DuplicateFeedbackException.class, () -> core.feedback(new Feedback(a.allocationId(), 1, true, 1, false)));
    assertEquals(1, journal.appended.size());
  }

  @Test
  void anHttpFeedbackFirstLeavesTheObserverNothing() {
    Allocation a = core.allocate(new AllocateRequest(80, 4000, null, null, POD));
    core.feedback(new Feedback(a.allocationId(), 20, true, 2, false));
    assertEquals(AllocationTable.Source.HTTP, core.allocation(a.allocationId()).orElseThrow().answer().source());
    assertEquals(PodObserver.Sink.Outcome.ALREADY_ANSWERED, sink.report(a.allocationId(), verdict(50, false, 1, false)));
    assertEquals(1, journal.appended.size());
  }

  @Test
  void anExpiredAllocationShowsWhyAndTakesNoFeedback() {
    Allocation a = core.allocate(new AllocateRequest(80, 4000, null, null, POD));
    sink.expire(a.allocationId(), "expired: pod showed no process (no_gpu_process)");
    AllocationTable.View v = core.allocation(a.allocationId()).orElseThrow();
    assertEquals(AllocationTable.Status.EXPIRED, v.status());
    assertEquals("expired: pod showed no process (no_gpu_process)", v.expiredWhy());
    assertNull(v.answer());
    assertEquals(1, core.expired());
    assertEquals(0, core.pending());
    UnknownAllocationException e = assertThrows(UnknownAllocationException.class,
        () -> core.feedback(new Feedback(a.allocationId(), 1, true, 1, false)));
    assertTrue(e.getMessage().contains("no_gpu_process"), e.getMessage());
    assertEquals(PodObserver.Sink.Outcome.GONE, sink.report(a.allocationId(), verdict(1, true, 1, false)));
    assertEquals(PodObserver.Sink.State.GONE, sink.state(a.allocationId()));
    assertEquals(PodObserver.Sink.State.GONE, sink.state("no-such-id"));
    assertTrue(journal.appended.isEmpty());
  }

  @Test
  void aPodUidMustBeAUid() {
    BadInputException e = assertThrows(BadInputException.class, () -> core.allocate(new AllocateRequest(50, 100, null, null, "my-pod")));
    assertTrue(e.getMessage().contains("pod_uid"), e.getMessage());
    assertEquals(0, core.pending());
  }
}
