package dev.edgeppo.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The observer's state machine on a hand-driven clock, a scripted GPU and a scripted process table. */
class PodObserverTest {
  static final String A = "aaaaaaaa-0000-4000-8000-000000000001";
  static final String B = "bbbbbbbb-0000-4000-8000-000000000002";

  /** A clock the test moves. */
  static final class Clock implements InstantSource {
    long millis = 1_000_000;
    @Override public Instant instant() { return Instant.ofEpochMilli(millis); }
    @Override public long millis() { return millis; }
  }

  /** GPU 0's processes as the test sets them: pid -> (MiB, SM %). */
  static final class Gpu implements ProcessSource {
    final Map<Integer, Long> mem = new HashMap<>();
    final Map<Integer, Double> sm = new HashMap<>();
    RuntimeException fail;
    int reads;

    void run(int pid, long mib, double smPercent) {
      mem.put(pid, mib);
      sm.put(pid, smPercent);
    }

    void stop(int pid) {
      mem.remove(pid);
      sm.remove(pid);
    }

    @Override
    public GpuProcesses read(int gpuIndex) {
      reads++;
      if (fail != null) throw fail;
      return new GpuProcesses(mem, sm);
    }
  }

  static final class Procs implements PodResolver {
    final Map<Integer, String> pods = new HashMap<>();
    final Set<String> alive = new HashSet<>();
    @Override public String podOf(int pid) { return pods.get(pid); }
    @Override public boolean podAlive(String uid) { return alive.contains(uid); }
  }

  static final class Sink implements PodObserver.Sink {
    final Map<String, Verdict> reported = new HashMap<>();
    final Map<String, String> expired = new HashMap<>();
    final Map<String, SkipReason> skipped = new HashMap<>();
    final Set<String> answeredElsewhere = new HashSet<>();
    @Override public State state(String id) {
      return answeredElsewhere.contains(id) ? State.ANSWERED : reported.containsKey(id) || expired.containsKey(id) ? State.GONE : State.PENDING;
    }
    @Override public Outcome report(String id, Verdict v) {
      if (answeredElsewhere.contains(id)) return Outcome.ALREADY_ANSWERED;
      reported.put(id, v);
      return Outcome.RECORDED;
    }
    @Override public void expire(String id, String why) { expired.put(id, why); }
    @Override public void notObserved(String id, SkipReason r, String why) { skipped.put(id, r); }
  }

  final Clock clock = new Clock();
  final Gpu gpu = new Gpu();
  final Procs procs = new Procs();
  final Sink sink = new Sink();
  /** Period 2 s, window 10 s: six readings from the first process to the close. */
  final PodObserver obs = PodObserver.of(gpu, procs, sink, Duration.ofSeconds(2), Duration.ofSeconds(10), clock);

  void rounds(int n) {
    for (int i = 0; i < n; i++) {
      clock.millis += 2000;
      obs.tick();
    }
  }

  /** A target whose grant is below its ask (100 %), so that sitting at the grant is throttling. */
  PodObserver.Target target(String id, String pod, int cores, long mb) { return new PodObserver.Target(id, pod, 0, cores, mb, 100); }

  /**
   * Pod A alive with process 10 in it (not yet on the GPU), and allocation "x" of {@code cores} and
   * {@code mb} on it observed: where most tests start.
   */
  PodObserver.Start observeRunningPod(int cores, long mb) {
    procs.pods.put(10, A);
    procs.alive.add(A);
    return obs.observe(target("x", A, cores, mb));
  }

  @Test
  void aPodRunningThroughTheWindowGetsItsMeanUsageAndQosMet() {
    assertTrue(observeRunningPod(60, 4000).accepted());
    rounds(2); // not started yet: waiting
    assertEquals(0, obs.progress("x").samples());
    gpu.run(10, 1000, 30);
    rounds(3);
    gpu.sm.put(10, 45.0);
    rounds(3); // six readings since the first: 30, 30, 30, 45, 45, 45; the window closes at the sixth
    Verdict v = sink.reported.get("x");
    assertNotNull(v, "reported when the window closed");
    assertEquals(37.5, v.actualUsage(), 1e-12);
    assertTrue(v.qosMet());
    assertEquals(1, v.pods());
    assertFalse(v.done());
    assertEquals(Ending.WINDOW_CLOSED, v.ending());
    assertEquals(6, v.samples());
    assertNull(obs.progress("x"), "no longer observed");
    assertEquals(1, obs.reportedTotal());
    assertEquals(6, obs.samplesReadTotal());
    assertEquals(1, obs.observedTotal());
  }

  @Test
  void podEndedJudgesAnObservationWithReadingsAtOnceAsDone() {
    observeRunningPod(60, 4000); // the observer still sees the pod's processes: the call, not a reading, ends it
    gpu.run(10, 1000, 30);
    rounds(3);
    assertTrue(obs.podEnded("x"));
    Verdict v = sink.reported.get("x");
    assertNotNull(v, "the final feedback is recorded at once");
    assertTrue(v.done());
    assertEquals(Ending.POD_ENDED, v.ending());
    assertTrue(v.qosMet(), "ending with the pod is no failure");
    assertEquals(3, v.samples());
    assertEquals(30.0, v.actualUsage(), 1e-12);
    assertNull(obs.progress("x"));
    assertEquals(0, obs.observing());
    assertEquals(1, obs.reportedTotal());
    rounds(2);
    assertEquals(1, sink.reported.size(), "no second feedback from later readings");
    assertFalse(obs.podEnded("x"), "a second call (the kubelet's retry) finds nothing to end");
    assertEquals(1, obs.reportedTotal());
  }

  @Test
  void podEndedBeforeAnyGpuProcessStopsWithAReasonAndNoFeedback() {
    observeRunningPod(60, 4000);
    rounds(2); // waiting for the first process
    assertTrue(obs.podEnded("x"));
    assertTrue(sink.reported.isEmpty(), "no feedback invented");
    assertTrue(sink.expired.isEmpty());
    assertEquals(SkipReason.ENDED_BEFORE_PROCESS, sink.skipped.get("x"));
    assertEquals(1, obs.skippedTotal(SkipReason.ENDED_BEFORE_PROCESS));
    assertEquals(0, obs.observing());
    gpu.run(10, 1000, 30);
    rounds(6);
    assertTrue(sink.reported.isEmpty(), "no longer observed");
  }

  @Test
  void podEndedForAnAllocationNotObservedDoesNothing() {
    assertFalse(obs.podEnded("nobody"));
    assertTrue(sink.reported.isEmpty());
    assertTrue(sink.skipped.isEmpty());
  }

  @Test
  void aThrottledPodIsNotQosMet() {
    observeRunningPod(40, 4000);
    gpu.run(10, 1000, 40);
    rounds(6);
    Verdict v = sink.reported.get("x");
    assertFalse(v.qosMet());
    assertEquals(6, v.throttledSamples());
    assertEquals(40.0, v.actualUsage(), 1e-12);
  }

  @Test
  void aPodAtItsMemoryLimitIsNotQosMet() {
    observeRunningPod(60, 2048);
    gpu.run(10, 1500, 20);
    rounds(3);
    gpu.mem.put(10, 2048L);
    rounds(3);
    Verdict v = sink.reported.get("x");
    assertFalse(v.qosMet());
    assertEquals(2048, v.peakMemoryMib());
  }

  @Test
  void processesVanishingWhileThePodRunsIsNotQosMetAndNotDone() {
    observeRunningPod(60, 4000); // the pod's sandbox still runs
    gpu.run(10, 1000, 20);
    rounds(2);
    gpu.stop(10);
    rounds(1);
    Verdict v = sink.reported.get("x");
    assertEquals(Ending.PROCESSES_VANISHED, v.ending());
    assertFalse(v.qosMet());
    assertFalse(v.done());
    assertEquals(2, v.samples());
  }

  @Test
  void processesEndingWithThePodIsDoneAndQosMet() {
    procs.pods.put(10, A);
    obs.observe(target("x", A, 60, 4000));
    gpu.run(10, 1000, 20);
    rounds(2);
    gpu.stop(10); // and the pod is gone: procs.alive is empty
    rounds(1);
    Verdict v = sink.reported.get("x");
    assertEquals(Ending.POD_ENDED, v.ending());
    assertTrue(v.qosMet());
    assertTrue(v.done());
  }

  @Test
  void twoPodsOnOneGpuEachGetTheirOwnUsageAndCountEachOther() {
    procs.pods.put(10, A);
    procs.pods.put(11, A);
    procs.pods.put(20, B);
    procs.pods.put(30, null); // a host process outside any pod: not a pod
    procs.alive.addAll(List.of(A, B));
    obs.observe(target("a", A, 50, 4000));
    obs.observe(target("b", B, 50, 4000));
    gpu.run(10, 500, 10);
    gpu.run(11, 700, 15); // pod A: two processes, 25 % and 1200 MiB together
    gpu.run(20, 300, 30);
    gpu.run(30, 100, 5);
    rounds(6);
    assertEquals(25.0, sink.reported.get("a").actualUsage(), 1e-12);
    assertEquals(1200, sink.reported.get("a").peakMemoryMib());
    assertEquals(30.0, sink.reported.get("b").actualUsage(), 1e-12);
    assertEquals(2, sink.reported.get("a").pods());
    assertEquals(2, sink.reported.get("b").pods());
    assertEquals(6, gpu.reads, "one reading per round for both observations");
  }

  @Test
  void aPodWorkingOnAGpuFilledByOthersIsStarvedEvenWellBelowItsCap() {
    // Pod A (granted its whole ask, so never throttled) uses 20 %; pod B and a host process of no pod fill the
    // rest: every process's SM counts towards the whole GPU's, known pod or not.
    procs.pods.put(10, A);
    procs.pods.put(20, B);
    procs.alive.addAll(List.of(A, B));
    obs.observe(new PodObserver.Target("a", A, 0, 40, 4000, 40));
    gpu.run(10, 500, 20);
    gpu.run(20, 300, 50);
    gpu.run(30, 100, 29); // 20 + 50 + 29 = 99 >= 95: full
    rounds(2);
    gpu.sm.put(30, 10.0); // 80: room again
    rounds(4);
    Verdict v = sink.reported.get("a");
    assertNotNull(v);
    assertEquals(20.0, v.actualUsage(), 1e-12);
    assertEquals(0, v.throttledSamples());
    assertFalse(v.qosMet(), "2 of 6 readings on a full GPU: " + v.why());
    assertTrue(v.why().stream().anyMatch(w -> w.contains("in 2 of 6 readings")), v.why().toString());
  }

  @Test
  void aPodOnAGpuWithRoomIsNotStarved() {
    procs.pods.put(10, A);
    procs.alive.add(A);
    obs.observe(new PodObserver.Target("a", A, 0, 40, 4000, 40));
    gpu.run(10, 500, 20);
    gpu.run(30, 100, 74); // 94 in every reading: busy, not full
    rounds(6);
    assertTrue(sink.reported.get("a").qosMet(), sink.reported.get("a").why().toString());
  }

  @Test
  void aPodThatNeverShowsAProcessExpiresWithItsReason() {
    procs.alive.add(A);
    obs.observe(target("x", A, 60, 4000));
    rounds(4);
    assertTrue(sink.expired.isEmpty(), "still within the window");
    rounds(1);
    assertTrue(sink.expired.get("x").contains("no_gpu_process"), sink.expired.toString());
    assertEquals(1, obs.skippedTotal(SkipReason.NO_GPU_PROCESS));
    assertTrue(sink.reported.isEmpty());
  }

  @Test
  void aFeedbackArrivingByHttpStopsTheObservation() {
    observeRunningPod(60, 4000);
    gpu.run(10, 1000, 20);
    rounds(2);
    sink.answeredElsewhere.add("x");
    rounds(1);
    assertNull(obs.progress("x"));
    assertTrue(sink.reported.isEmpty());
    assertEquals(1, obs.skippedTotal(SkipReason.ANSWERED_BY_HTTP));
  }

  @Test
  void aMissingSignalSkipsWithItsReason() {
    procs.pods.put(10, A);
    obs.observe(target("x", A, 60, 4000));
    gpu.fail = new ProcessSource.SignalMissing(SkipReason.NO_PROCESS_UTILIZATION, "no samples here");
    rounds(1);
    assertEquals(SkipReason.NO_PROCESS_UTILIZATION, sink.skipped.get("x"));
    assertEquals(1, obs.skippedTotal(SkipReason.NO_PROCESS_UTILIZATION));
    assertEquals(0, obs.observing());
  }

  @Test
  void unknownMemoryIsAMissingSignal() {
    observeRunningPod(60, 4000);
    gpu.run(10, 0, 20);
    gpu.mem.put(10, null);
    rounds(1);
    assertEquals(SkipReason.NO_PROCESS_MEMORY, sink.skipped.get("x"));
  }

  @Test
  void readsFailingRepeatedlyGiveUpWithNvmlsText() {
    procs.pods.put(10, A);
    obs.observe(target("x", A, 60, 4000));
    gpu.fail = new IllegalStateException("GPU is lost");
    rounds(PodObserver.MAX_FAILED_READS - 1);
    assertEquals(1, obs.observing(), "a failed reading or two may pass");
    rounds(1);
    assertEquals(SkipReason.READ_FAILED, sink.skipped.get("x"));
  }

  @Test
  void withoutNvmlNothingIsObservedAndTheReasonIsCounted() {
    PodObserver none = PodObserver.unavailable("NVML: Driver Not Loaded", sink, Duration.ofSeconds(2), Duration.ofSeconds(10));
    PodObserver.Start s = none.observe(target("x", A, 60, 4000));
    assertFalse(s.accepted());
    assertEquals(SkipReason.NVML_UNAVAILABLE, s.skipped());
    assertTrue(s.why().contains("Driver Not Loaded"));
    assertEquals(1, none.skippedTotal(SkipReason.NVML_UNAVAILABLE));
    none.tick();
  }

  @Test
  void nothingOpenMeansNoReading() {
    rounds(3);
    assertEquals(0, gpu.reads);
    List<String> none = new ArrayList<>(sink.reported.keySet());
    assertTrue(none.isEmpty());
  }
}
