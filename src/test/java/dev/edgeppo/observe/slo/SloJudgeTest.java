package dev.edgeppo.observe.slo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Verdicts against values worked out by hand from PromQL's documented semantics
 * (histogram_quantile's linear interpolation, increase()'s counter resets).
 */
class SloJudgeTest {

  /** A histogram body with buckets le=0.1, 0.5, 1, +Inf holding these cumulative counts. */
  static String histogram(String name, String labels, double... cumulative) {
    String[] le = {"0.1", "0.5", "1", "+Inf"};
    StringBuilder b = new StringBuilder("# TYPE " + name + " histogram\n");
    for (int i = 0; i < cumulative.length; i++) {
      b.append(name).append("_bucket{").append(labels).append(labels.isEmpty() ? "" : ",").append("le=\"").append(le[i]).append("\"} ").append(cumulative[i]).append('\n');
    }
    return b.append(name).append("_count{").append(labels).append("} ").append(cumulative[cumulative.length - 1]).append('\n').toString();
  }

  static Scrape at(double t, Objective o, String body) {
    try {
      return Scrape.ok(t, ExpositionParser.parse(body, o));
    } catch (MalformedMetricsException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void bucketQuantileInterpolatesAsPromQl() {
    double[] le = {0.1, 0.5, 1, Double.POSITIVE_INFINITY};
    double[] c = {10, 60, 90, 100};
    assertEquals(0.05, BucketQuantile.of(0.05, le, c), 1e-12); // rank 5 in [0, 0.1]: lower bound 0
    assertEquals(0.42, BucketQuantile.of(0.5, le, c), 1e-12);  // rank 50: 0.1 + 0.4 * 40/50
    assertEquals(1.0, BucketQuantile.of(0.9, le, c), 1e-12);   // rank 90 = the top of (0.5, 1]
    assertEquals(1.0, BucketQuantile.of(0.99, le, c), 1e-12);  // rank in +Inf: the largest finite bound
    assertTrue(Double.isNaN(BucketQuantile.of(0.5, le, new double[] {0, 0, 0, 0})));
    assertTrue(Double.isNaN(BucketQuantile.of(0.5, new double[] {0.1, 1}, new double[] {1, 2})), "no +Inf bucket");
    assertEquals(-1.0, BucketQuantile.of(0.5, new double[] {-1, Double.POSITIVE_INFINITY}, new double[] {5, 5}));
  }

  @Test
  void quantileOverTheWindowWithAResetBetweenScrapes() {
    Objective o = Objective.parse("lat_seconds:p50<=0.3");
    List<Scrape> window = List.of(
        at(0, o, histogram("lat_seconds", "", 100, 200, 300, 300)),
        at(30, o, histogram("lat_seconds", "", 110, 240, 330, 340)), // +10 +40 +30 +40
        at(60, o, histogram("lat_seconds", "", 5, 20, 30, 30)));     // restarted: +5 +20 +30 +30
    // Increases 15, 60, 60, 70: rank 35 in (0.1, 0.5] holding 45: 0.1 + 0.4 * 20/45.
    SloVerdict v = SloJudge.judge(o, window);
    assertEquals(0.1 + 0.4 * 20 / 45, v.value(), 1e-12);
    assertEquals(SloVerdict.Outcome.MET, v.outcome());
    assertEquals(3, v.scrapes());
    SloVerdict p80 = SloJudge.judge(Objective.parse("lat_seconds:p80<=0.3"), window);
    assertEquals(0.1 + 0.4 * 41 / 45, p80.value(), 1e-12); // rank 56
    assertEquals(SloVerdict.Outcome.MISSED, p80.outcome());
    assertEquals(1.0, SloJudge.judge(Objective.parse("lat_seconds:p99<=2"), window).value(), 1e-12); // in +Inf
  }

  @Test
  void seriesAreSummedByLe() {
    Objective o = Objective.parse("lat_seconds:p50<=1");
    String t0 = histogram("lat_seconds", "model=\"a\"", 0, 0, 0, 0) + histogram("lat_seconds", "model=\"b\"", 1, 1, 1, 1).replace("# TYPE lat_seconds histogram\n", "");
    String t1 = histogram("lat_seconds", "model=\"a\"", 10, 10, 10, 10) + histogram("lat_seconds", "model=\"b\"", 1, 11, 11, 11).replace("# TYPE lat_seconds histogram\n", "");
    // Increases: a 10 in [0,0.1]; b 10 in (0.1,0.5]: summed 10, 20, 20, 20: rank 10 ends the first bucket.
    SloVerdict v = SloJudge.judge(o, List.of(at(0, o, t0), at(60, o, t1)));
    assertEquals(0.1, v.value(), 1e-12);
  }

  @Test
  void rateIsTheIncreaseOverTheScrapedSpanAcrossAReset() {
    Objective o = Objective.parse("nv_inference_count:rate>=10");
    List<Scrape> w = List.of(
        at(0, o, "nv_inference_count_total{model=\"m\"} 100\n"),
        at(30, o, "nv_inference_count_total{model=\"m\"} 700\n"),
        at(60, o, "nv_inference_count_total{model=\"m\"} 50\n")); // reset: +50
    SloVerdict v = SloJudge.judge(o, w);
    assertEquals(650.0 / 60, v.value(), 1e-12);
    assertTrue(v.decided());
    assertTrue(v.met());
    SloVerdict strict = SloJudge.judge(Objective.parse("nv_inference_count:rate>=11"), w);
    assertFalse(strict.met());
    assertEquals(SloVerdict.Outcome.MISSED, strict.outcome());
  }

  @Test
  void aSeriesFirstSeenMidWindowCountsFromItsFirstSample() {
    Objective o = Objective.parse("reqs:rate>=0");
    List<Scrape> w = List.of(
        at(0, o, "reqs{a=\"1\"} 10\n"),
        at(10, o, "reqs{a=\"1\"} 20\nreqs{a=\"2\"} 500\n"),
        at(20, o, "reqs{a=\"1\"} 30\nreqs{a=\"2\"} 510\n"));
    assertEquals(30.0 / 20, SloJudge.judge(o, w).value(), 1e-12);
  }

  @Test
  void failedScrapesBetweenSuccessfulOnesAreCountedAndSkipped() {
    Objective o = Objective.parse("reqs:rate>=1");
    List<Scrape> w = List.of(at(0, o, "reqs 0\n"), Scrape.failed(10, "timeout"), at(20, o, "reqs 40\n"));
    SloVerdict v = SloJudge.judge(o, w);
    assertEquals(2.0, v.value(), 1e-12);
    assertEquals(3, v.scrapes());
    assertEquals(1, v.failedScrapes());
  }

  @Test
  void undecidedWithTheReason() {
    Objective q = Objective.parse("lat_seconds:p99<=1");
    assertUndecided(q, List.of(), "no scrapes");
    assertUndecided(q, List.of(at(0, q, histogram("lat_seconds", "", 1, 2, 3, 4)), Scrape.failed(60, "too_large")),
        "only 1 of 2 scrapes succeeded (last failure: too_large)");
    assertUndecided(q, List.of(at(0, q, "other 1\n"), at(60, q, "other 2\n")), "not found");
    assertUndecided(q, List.of(at(0, q, histogram("lat_seconds", "", 1, 2, 3, 4)), at(60, q, histogram("lat_seconds", "", 1, 2, 3, 4))),
        "no observations");
    assertUndecided(q, List.of(at(0, q, histogram("lat_seconds", "", 1, 2, 3)), at(60, q, histogram("lat_seconds", "", 2, 3, 4))),
        "no le=\"+Inf\"");
    assertUndecided(q, List.of(at(0, q, histogram("lat_seconds", "", 1, 5, 3, 6)), at(60, q, histogram("lat_seconds", "", 2, 6, 4, 8))),
        "not cumulative");
    assertUndecided(q, List.of(at(0, q, histogram("lat_seconds", "", 1, 2, 3, 4)), at(60, q, histogram("lat_seconds", "", 1, 2, 3, Double.NaN))),
        "NaN");
    assertUndecided(q, List.of(at(0, q, "lat_seconds_bucket{le=\"abc\"} 1\nlat_seconds_bucket{le=\"+Inf\"} 1\n"),
        at(60, q, "lat_seconds_bucket{le=\"abc\"} 1\nlat_seconds_bucket{le=\"+Inf\"} 1\n")), "not a number");
    assertUndecided(q, List.of(at(0, q, histogram("lat_seconds", "", 1, 2, 3, 4)), at(0, q, histogram("lat_seconds", "", 1, 2, 3, 9))),
        "times do not increase");
    Objective r = Objective.parse("reqs:rate>=1");
    assertUndecided(r, List.of(at(0, r, "reqs 5\n"), at(60, r, "reqs 5\n")), "no observations");
    assertUndecided(r, List.of(at(0, r, "reqs -5\n"), at(60, r, "reqs 5\n")), "is -5");
  }

  private static void assertUndecided(Objective o, List<Scrape> scrapes, String reason) {
    SloVerdict v = SloJudge.judge(o, scrapes);
    assertEquals(SloVerdict.Outcome.UNDECIDED, v.outcome(), () -> "expected undecided: " + v);
    assertFalse(v.decided());
    assertTrue(Double.isNaN(v.value()));
    assertTrue(v.reason().contains(reason), () -> "reason '" + v.reason() + "' lacks '" + reason + "'");
  }

  /** A histogram counting in {@code unit}s, with buckets at 100, 500 and 1,000 of them. */
  static String histogramIn(String name, double... cumulative) {
    String[] le = {"100", "500", "1000", "+Inf"};
    StringBuilder b = new StringBuilder("# TYPE " + name + " histogram\n");
    for (int i = 0; i < le.length; i++) b.append(name).append("_bucket{le=\"").append(le[i]).append("\"} ").append(cumulative[i]).append('\n');
    return b.toString();
  }

  @Test
  void aHistogramInMillisecondsIsJudgedInSecondsAsTheObjectiveIsWritten() {
    // Triton's latency histograms count milliseconds; SPEC §5's bound is in seconds. Increases 10, 60, 90, 100:
    // the median is 100 + 400 * 40/50 = 420 ms = 0.42 s.
    String ms = "nv_inference_first_response_histogram_ms";
    Objective met = Objective.parse(ms + ":p50<=0.5"), missed = Objective.parse(ms + ":p50<=0.4");
    assertEquals(1e3, ((Objective.Quantile) met).unitsPerSecond());
    for (Objective o : List.of(met, missed)) {
      List<Scrape> window = List.of(at(0, o, histogramIn(ms, 0, 0, 0, 0)), at(60, o, histogramIn(ms, 10, 60, 90, 100)));
      SloVerdict v = SloJudge.judge(o, window);
      assertEquals(0.42, v.value(), 1e-12, "reported in seconds");
      assertEquals(o == met ? SloVerdict.Outcome.MET : SloVerdict.Outcome.MISSED, v.outcome());
    }
    // Microseconds: the same counts are 420 µs.
    Objective us = Objective.parse("rpc_latency_us:p50<=0.0005");
    SloVerdict v = SloJudge.judge(us, List.of(at(0, us, histogramIn("rpc_latency_us", 0, 0, 0, 0)),
        at(60, us, histogramIn("rpc_latency_us", 10, 60, 90, 100))));
    assertEquals(0.00042, v.value(), 1e-15);
    assertEquals(SloVerdict.Outcome.MET, v.outcome());
    // Seconds, and a name with no unit, stay as counted.
    assertEquals(1, ((Objective.Quantile) Objective.parse("vllm:e2e_request_latency_seconds:p99<=0.5")).unitsPerSecond());
    assertEquals(1, ((Objective.Quantile) Objective.parse("request_latency:p99<=0.5")).unitsPerSecond());
    assertEquals(1e9, ((Objective.Quantile) Objective.parse("step_nanoseconds:p99<=0.5")).unitsPerSecond());
  }
}
