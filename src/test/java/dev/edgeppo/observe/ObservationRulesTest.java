package dev.edgeppo.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Each rule of SPEC §5 on its own, with expected values worked out by hand. */
class ObservationRulesTest {
  static PodSample s(double sm, long mib, int procs, int pods) { return new PodSample(0, sm, mib, procs, pods); }

  static PodSample none() { return s(0, 0, 0, 1); }

  @Test
  void actualUsageAveragesFromTheFirstProcessOn() {
    // Two readings before the pod started do not count; then 30, 50, 40 -> mean 40.
    List<PodSample> samples = List.of(none(), none(), s(30, 100, 1, 1), s(50, 100, 2, 1), s(40, 100, 1, 1));
    assertEquals(40.0, ObservationRules.actualUsage(samples), 1e-12);
  }

  @Test
  void actualUsageCountsAReadingWithoutSamplesAsZero() {
    // NVML leaves idle processes out of its samples: the reading's sum is 0 and pulls the mean down.
    assertEquals(20.0, ObservationRules.actualUsage(List.of(s(40, 1, 1, 1), s(0, 1, 1, 1))), 1e-12);
  }

  @Test
  void actualUsageIsCappedAt100AndNaNWithoutProcesses() {
    assertEquals(75.0, ObservationRules.actualUsage(List.of(s(70, 1, 2, 1), s(80, 1, 2, 1))), 1e-12);
    // Two processes whose samples add up past 100 (sampling windows overlap): capped.
    assertEquals(100.0, ObservationRules.actualUsage(List.of(s(130, 1, 2, 1), s(110, 1, 2, 1))), 1e-12);
    assertTrue(Double.isNaN(ObservationRules.actualUsage(List.of(none(), none()))));
    assertTrue(Double.isNaN(ObservationRules.actualUsage(List.of())));
  }

  @Test
  void throttledWhenAtTheGrantMinusOneInMoreThanAQuarterOfReadings() {
    // Grant 60: threshold 59. 2 of 5 at or above -> throttled (a burst capped 40 % of the time).
    List<PodSample> two = List.of(s(59, 1, 1, 1), s(60, 1, 1, 1), s(20, 1, 1, 1), s(58, 1, 1, 1), s(10, 1, 1, 1));
    assertEquals(59.0, ObservationRules.throttleThreshold(60));
    assertEquals(2, ObservationRules.throttledSamples(two, 60));
    assertTrue(ObservationRules.throttled(two, 60, 80));
    // 1 of 4 is exactly a quarter: not more than it.
    List<PodSample> quarter = List.of(s(60, 1, 1, 1), s(58.9, 1, 1, 1), s(30, 1, 1, 1), s(10, 1, 1, 1));
    assertEquals(1, ObservationRules.throttledSamples(quarter, 60));
    assertFalse(ObservationRules.throttled(quarter, 60, 80));
  }

  @Test
  void aPodGrantedItsWholeAskIsNeverThrottled() {
    // Every reading at the cap, but the cap is the pod's own ask: no grant could have lifted it.
    List<PodSample> pinned = List.of(s(60, 1, 1, 1), s(60, 1, 1, 1), s(59.5, 1, 1, 1));
    assertTrue(ObservationRules.throttled(pinned, 59, 60), "one point below the ask is a cut");
    assertFalse(ObservationRules.throttled(pinned, 60, 60));
    Verdict v = ObservationRules.judge(pinned, 60, 60, 3000, Ending.WINDOW_CLOSED);
    assertTrue(v.qosMet());
    assertEquals(3, v.throttledSamples());
    assertTrue(v.why().stream().anyMatch(w -> w.startsWith("not throttled: granted the whole ask (60)")), v.why().toString());
  }

  @Test
  void throttleIgnoresReadingsBeforeTheFirstProcess() {
    // Readings before the pod started (SM 0) must not dilute the share: 2 of 2 after the start.
    List<PodSample> x = List.of(none(), none(), none(), s(50, 1, 1, 1), s(49, 1, 1, 1));
    assertTrue(ObservationRules.throttled(x, 50, 80));
    assertFalse(ObservationRules.throttled(List.of(none()), 50, 80));
  }

  @Test
  void memoryAtTheLimitIsThePeakReachingTheGrant() {
    List<PodSample> x = List.of(s(10, 2000, 1, 1), s(10, 4096, 1, 1), s(10, 3000, 1, 1));
    assertEquals(4096, ObservationRules.peakMemoryMib(x));
    assertTrue(ObservationRules.memoryAtLimit(x, 4096));
    assertTrue(ObservationRules.memoryAtLimit(x, 4000));
    assertFalse(ObservationRules.memoryAtLimit(x, 4097));
  }

  @Test
  void vanishedOnlyWhenThePodOutlivedItsProcesses() {
    assertTrue(ObservationRules.vanishedEarly(Ending.PROCESSES_VANISHED));
    assertFalse(ObservationRules.vanishedEarly(Ending.POD_ENDED));
    assertFalse(ObservationRules.vanishedEarly(Ending.WINDOW_CLOSED));
  }

  @Test
  void qosMetOnlyWithoutAnyFailure() {
    assertTrue(ObservationRules.qosMet(false, false, false));
    assertFalse(ObservationRules.qosMet(true, false, false));
    assertFalse(ObservationRules.qosMet(false, true, false));
    assertFalse(ObservationRules.qosMet(false, false, true));
  }

  @Test
  void podsAtThePodsLastReadingWithAProcess() {
    List<PodSample> x = List.of(s(10, 1, 1, 3), s(10, 1, 1, 2), s(0, 0, 0, 4));
    assertEquals(2, ObservationRules.pods(x));
    assertEquals(1, ObservationRules.pods(List.of(s(10, 1, 1, 0))), "this pod counts itself");
    assertEquals(1, ObservationRules.pods(List.of()));
  }

  @Test
  void doneOnlyWhenThePodEnded() {
    assertTrue(ObservationRules.done(Ending.POD_ENDED));
    assertFalse(ObservationRules.done(Ending.WINDOW_CLOSED));
    assertFalse(ObservationRules.done(Ending.PROCESSES_VANISHED));
  }

  @Test
  void judgeCombinesTheRulesAndSaysWhy() {
    List<PodSample> x = List.of(none(), s(60, 1000, 1, 2), s(59, 1200, 1, 2), s(30, 900, 1, 3));
    Verdict v = ObservationRules.judge(x, 60, 80, 3000, Ending.WINDOW_CLOSED);
    assertEquals((60 + 59 + 30) / 3.0, v.actualUsage(), 1e-12);
    assertFalse(v.qosMet(), "2 of 3 readings at the cap");
    assertEquals(3, v.pods());
    assertFalse(v.done());
    assertEquals(3, v.samples());
    assertEquals(2, v.throttledSamples());
    assertEquals(1200, v.peakMemoryMib());
    assertTrue(v.why().stream().anyMatch(w -> w.startsWith("throttled: summed SM >= 59 (granted 60 - 1, asked 80) in 2 of 3")),
        v.why().toString());

    Verdict ok = ObservationRules.judge(List.of(s(20, 500, 1, 1), s(30, 600, 1, 1)), 60, 80, 3000, Ending.POD_ENDED);
    assertTrue(ok.qosMet());
    assertTrue(ok.done());
    assertEquals(25.0, ok.actualUsage(), 1e-12);

    assertThrows(IllegalArgumentException.class, () -> ObservationRules.judge(List.of(none()), 60, 80, 3000, Ending.POD_ENDED));
  }

  /** A reading of the pod with the whole GPU's summed SM. */
  static PodSample g(double sm, double gpuSm) { return new PodSample(0, sm, 100, 1, 3, gpuSm); }

  /** {@code starved} readings of an active pod on a full GPU, the rest on a GPU with room. */
  static List<PodSample> onGpu(int starved, int total) {
    List<PodSample> x = new java.util.ArrayList<>();
    for (int i = 0; i < total; i++) x.add(i < starved ? g(20, 99) : g(20, 70));
    return x;
  }

  @Test
  void starvedWhenActiveOnAFullGpuInMoreThanItsShareOfReadings() {
    // 20 readings, threshold 15 %: 3 on a full GPU is exactly 15 % (not more), 4 is 20 %.
    assertEquals(3, ObservationRules.starvedSamples(onGpu(3, 20)));
    assertFalse(ObservationRules.starved(onGpu(3, 20)));
    assertTrue(ObservationRules.starved(onGpu(4, 20)));
    // "Full" is summed SM of every process >= 95: 94.9 is a GPU with room.
    assertFalse(ObservationRules.starved(List.of(g(20, 94.9), g(20, 94.9))));
    assertTrue(ObservationRules.starved(List.of(g(20, 95), g(20, 94.9))));
  }

  @Test
  void aPodIdleOnAFullGpuIsNotStarved() {
    // It wanted nothing at those moments, so its neighbours took nothing from it.
    List<PodSample> idle = List.of(g(0, 100), g(0.5, 100), g(0, 100), g(30, 60));
    assertEquals(0, ObservationRules.starvedSamples(idle));
    assertFalse(ObservationRules.starved(idle));
    // The same pod working at those moments is starved.
    assertTrue(ObservationRules.starved(List.of(g(5, 100), g(5, 100), g(5, 100), g(30, 60))));
  }

  @Test
  void readingsWithoutTheWholeGpuNeverCountAsStarved() {
    // The five-field reading (no GPU-wide use) turns rule 4 off; so do readings before the first process.
    assertFalse(ObservationRules.starved(List.of(s(50, 1, 1, 4), s(50, 1, 1, 4))));
    assertFalse(ObservationRules.starved(List.of(new PodSample(0, 0, 0, 0, 2, 100), new PodSample(0, 0, 0, 0, 2, 100),
        g(20, 50))));
    assertFalse(ObservationRules.starved(List.of()));
  }

  @Test
  void qosMetFailsWhenStarvedAlone() {
    assertTrue(ObservationRules.qosMet(false, false, false, false));
    assertFalse(ObservationRules.qosMet(false, false, false, true));
    assertFalse(ObservationRules.qosMet(true, false, false, false));
  }

  @Test
  void judgeCallsAStarvedPodUnservedAndSaysWhy() {
    // Granted its whole ask (rule 3 never applies), well below its cap, but working on a full GPU in 2 of 3 readings.
    List<PodSample> x = List.of(g(20, 100), g(25, 98), g(30, 60));
    Verdict v = ObservationRules.judge(x, 60, 60, 3000, Ending.WINDOW_CLOSED);
    assertFalse(v.qosMet());
    assertEquals(0, v.throttledSamples());
    assertTrue(v.why().stream().anyMatch(w -> w.startsWith("starved by its neighbours: active on a GPU whose processes summed SM >= 95 % in 2 of 3")),
        v.why().toString());
    Verdict ok = ObservationRules.judge(List.of(g(20, 60), g(25, 70), g(30, 94)), 60, 60, 3000, Ending.WINDOW_CLOSED);
    assertTrue(ok.qosMet(), ok.why().toString());
    assertTrue(ok.why().stream().anyMatch(w -> w.startsWith("not starved: active on a GPU whose processes summed SM >= 95 % in 0 of 3")),
        ok.why().toString());
  }
}
