package dev.edgeppo.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.observe.slo.SloVerdict;
import org.junit.jupiter.api.Test;

/**
 * The simulated pods' service level: the M/M/1 model against its closed form worked out here, and the node's
 * parser and judge (fed the rendered Prometheus text) against the model's exact truth.
 */
class ServiceModelTest {
  /** A window of {@code n} 2 s moments at {@code share} of a 50 % demand, scraped at its start and each moment. */
  static ServiceModel.Window window(int n, double share) {
    ServiceModel.Window w = new ServiceModel.Window();
    w.scrape(0);
    for (int i = 1; i <= n; i++) {
      w.add(50, 50 * share, 2);
      w.scrape(2.0 * i);
    }
    return w;
  }

  @Test
  void atNinetyPercentOfItsWantsAPodSitsExactlyOnItsObjective() {
    // M/M/1: P(T <= x) = 1 - exp(-(mu - lambda) x), mu = lambda / rho; rho = rho0 / 0.9 at 90 % of its wants.
    double rho = ServiceModel.RHO_AT_FULL_SPEED / 0.9;
    double p99 = Math.log(100) / (ServiceModel.ARRIVALS_PER_S / rho - ServiceModel.ARRIVALS_PER_S);
    assertEquals(ServiceModel.P99_SECONDS, p99, 1e-9);
    assertEquals(0.99, ServiceModel.cdf(rho, ServiceModel.P99_SECONDS), 1e-9);
  }

  @Test
  void aServedPodMeetsItsObjectiveAndAStarvedOneMissesItInTruthAndThroughTheJudge() {
    ServiceModel.Window served = window(30, 0.95);
    assertTrue(served.truthMet());
    SloVerdict v = served.judged();
    assertTrue(v.decided(), v.reason());
    assertTrue(v.met());
    assertEquals(31, v.scrapes());
    assertTrue(v.value() <= ServiceModel.P99_SECONDS, "p99 " + v.value());

    ServiceModel.Window starved = window(30, 0.8);
    assertFalse(starved.truthMet());
    assertTrue(starved.judged().decided());
    assertFalse(starved.judged().met(), "p99 " + starved.judged().value());
  }

  @Test
  void aWindowMixesItsMoments() {
    // 27 moments served with room (p99 well under), 3 with an unstable queue (every request past every bucket):
    // 10 % of requests are late, so the window's p99 misses although 90 % of moments were fine.
    ServiceModel.Window w = new ServiceModel.Window();
    w.scrape(0);
    for (int i = 1; i <= 30; i++) {
      w.add(50, i <= 27 ? 50 : 20, 2); // 20 of 50: rho = rho0 * 2.5 > 1
      w.scrape(2.0 * i);
    }
    assertTrue(ServiceModel.rho(50, 20) >= 1);
    assertFalse(w.truthMet());
    assertFalse(w.judged().met());
    // One such moment in 200 (0.5 % of requests late) still meets the p99.
    ServiceModel.Window few = new ServiceModel.Window();
    few.scrape(0);
    for (int i = 1; i <= 200; i++) {
      few.add(50, i == 100 ? 20 : 50, 2);
      few.scrape(2.0 * i);
    }
    assertTrue(few.truthMet());
    assertTrue(few.judged().met(), "p99 " + few.judged().value());
  }

  @Test
  void theRenderedBodyIsAPrometheusHistogramAndCounter() {
    ServiceModel.Window w = window(1, 1.0);
    String body = w.render();
    assertTrue(body.contains("# TYPE sim_request_latency_seconds histogram"), body);
    assertTrue(body.contains("sim_request_latency_seconds_bucket{le=\"0.5\"} "), body);
    assertTrue(body.contains("sim_request_latency_seconds_bucket{le=\"+Inf\"} 40.000000"), "20/s for 2 s: " + body);
    assertTrue(body.contains("sim_requests_total 40.000000"), body);
  }

  @Test
  void aPodWantingNothingLosesNothing() {
    assertEquals(ServiceModel.RHO_AT_FULL_SPEED, ServiceModel.rho(0, 0), 0);
    assertEquals(ServiceModel.RHO_AT_FULL_SPEED, ServiceModel.rho(30, 40), 0, "more than it wanted is no faster");
    assertEquals(Double.POSITIVE_INFINITY, ServiceModel.rho(30, 0));
  }

  @Test
  void whoDeclaresIsAFunctionOfThePodAndTheShare() {
    int declared = 0, n = 2000;
    for (int i = 0; i < n; i++) {
      SimPod p = new SimPod(i, "p" + i, WorkloadClass.values()[0], 0, 60, 50, 4096, 2048, 20, 0, 0, 0, 0, 1000L + i);
      assertEquals(ServiceModel.declares(p, 0.3), ServiceModel.declares(p, 0.3));
      if (ServiceModel.declares(p, 0.3)) declared++;
      assertFalse(ServiceModel.declares(p, 0));
      assertTrue(ServiceModel.declares(p, 1));
    }
    assertTrue(declared > 0.25 * n && declared < 0.35 * n, declared + " of " + n);
    assertThrows(IllegalArgumentException.class, () -> ServiceModel.declares(
        new SimPod(0, "p", WorkloadClass.values()[0], 0, 60, 50, 4096, 2048, 20, 0, 0, 0, 0, 1), 1.5));
  }
}
