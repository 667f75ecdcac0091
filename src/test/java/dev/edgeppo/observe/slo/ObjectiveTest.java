package dev.edgeppo.observe.slo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** SPEC §5's objective grammar: the examples it gives, and what it refuses. */
class ObjectiveTest {

  @Test
  void readsSpecExamples() {
    var q = (Objective.Quantile) Objective.parse("vllm:e2e_request_latency_seconds:p99<=0.5");
    assertEquals("vllm:e2e_request_latency_seconds", q.metric());
    assertEquals(0.99, q.quantile(), 1e-12);
    assertEquals(0.5, q.maxValue());
    var r = (Objective.Rate) Objective.parse("nv_inference_count:rate>=20");
    assertEquals("nv_inference_count", r.metric());
    assertEquals(20.0, r.minPerSecond());
    assertEquals(new Objective.Quantile("m", 0.999, 0.25), Objective.parse("m:p99.9<=0.25"));
    assertEquals(new Objective.Rate("m", 1500), Objective.parse(" m:rate>=1.5e3 "));
  }

  @Test
  void textReadsBackToTheSameObjective() {
    for (String s : new String[] {"vllm:e2e_request_latency_seconds:p99<=0.5", "a_b:p50<=2", "c:rate>=20", "d:p99.9<=0.125", "e:rate>=0.5"}) {
      Objective o = Objective.parse(s);
      assertEquals(s, o.text());
      assertEquals(o, Objective.parse(o.text()));
    }
  }

  @Test
  void refusesMalformedWithTheReason() {
    assertMessage("", "empty");
    assertMessage("latency", "no ':'");
    assertMessage("latency:", "no ':'");
    assertMessage(":p99<=1", "no ':'");
    assertMessage("9bad:p99<=1", "not a Prometheus metric name");
    assertMessage("m:p100<=1", "(0, 100)");
    assertMessage("m:p0<=1", "(0, 100)");
    assertMessage("m:p99>=1", "neither");
    assertMessage("m:p99<=-1", "neither");
    assertMessage("m:p99<=NaN", "neither");
    assertMessage("m:rate<=3", "neither");
    assertMessage("m:rate>=0x10", "neither");
    assertMessage("m:p99<=1e999", "finite");
    assertMessage("m:" + "x".repeat(600), "longer than");
    assertThrows(IllegalArgumentException.class, () -> Objective.parse(null));
  }

  @Test
  void needsTheSamplesOfItsMetric() {
    Objective q = Objective.parse("lat_seconds:p90<=1");
    assertTrue(q.needs("lat_seconds_bucket"));
    assertFalse(q.needs("lat_seconds_count"));
    assertFalse(q.needs("lat_seconds"));
    Objective r = Objective.parse("nv_inference_count:rate>=1");
    assertTrue(r.needs("nv_inference_count"));
    assertTrue(r.needs("nv_inference_count_total"));
    assertFalse(r.needs("nv_inference_count_created"));
    Objective t = Objective.parse("reqs_total:rate>=1");
    assertTrue(t.needs("reqs_total"));
    assertTrue(t.needs("reqs"));
  }

  private static void assertMessage(String text, String part) {
    var e = assertThrows(IllegalArgumentException.class, () -> Objective.parse(text));
    assertTrue(e.getMessage().contains(part), () -> "'" + text + "': " + e.getMessage());
    assertTrue(e.getMessage().contains("METRIC:pQ<=SECONDS"), e.getMessage());
  }
}
