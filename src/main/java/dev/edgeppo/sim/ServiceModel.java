package dev.edgeppo.sim;

import dev.edgeppo.observe.slo.ExpositionParser;
import dev.edgeppo.observe.slo.MalformedMetricsException;
import dev.edgeppo.observe.slo.Objective;
import dev.edgeppo.observe.slo.Scrape;
import dev.edgeppo.observe.slo.SloJudge;
import dev.edgeppo.observe.slo.SloVerdict;
import dev.edgeppo.random.Noise;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A simulated pod as an inference server that publishes its service level (issue 18 item 3): a request
 * latency histogram and a request counter, in Prometheus text, from a queueing model of its demand, its
 * grant and the contention on its GPU.
 *
 * <p>Model: M/M/1 (Poisson arrivals at {@value #ARRIVALS_PER_S}/s, exponential service, one server). It is
 * the textbook first model of a request queue and the one whose response time has a closed form: with
 * utilisation {@code rho < 1} it is exponential with rate {@code lambda (1/rho - 1)}, so the truth's quantile is
 * exact, not sampled. The GPU sets the service rate: a pod that receives all the SM it wants runs at
 * utilisation {@link #RHO_AT_FULL_SPEED}; receiving a share {@code s} of it slows service by {@code s}, so
 * {@code rho = RHO_AT_FULL_SPEED / s}. At {@code rho >= 1} the queue grows without bound for that moment:
 * its requests count as slower than every bucket (a timeout). Requests are spread over the moments as the
 * model's expected counts (no sampling noise), so the observer's histogram and the truth differ only by
 * what buckets lose.
 *
 * <p>The objective every declaring pod carries is {@link #OBJECTIVE}, p99 at most {@value #P99_SECONDS} s,
 * and {@link #RHO_AT_FULL_SPEED} is set so that a pod receiving exactly
 * {@link SimNode#COVERED_SHARE_OF_DEMAND} of its wants sits exactly on it: the declared objective means the
 * same as the truth's "covered" for the moment, and only how moments add up differs (a window's p99 mixes
 * its moments; the coverage truth counts them).
 */
public final class ServiceModel {
  private ServiceModel() {}

  public static final double ARRIVALS_PER_S = 20;
  public static final double P99_SECONDS = 0.5;
  public static final String METRIC = "sim_request_latency_seconds";
  public static final String COUNTER = "sim_requests_total";
  public static final Objective OBJECTIVE = Objective.parse(METRIC + ":p99<=" + P99_SECONDS);
  /** Bucket bounds (s): vLLM-like, with the objective on one of them as operators set it. */
  static final double[] BUCKETS = {0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0};
  /** Utilisation at full speed: the one at which 0.9 of the wanted speed gives p99 = the objective exactly. */
  public static final double RHO_AT_FULL_SPEED =
      SimNode.COVERED_SHARE_OF_DEMAND * ARRIVALS_PER_S / (ARRIVALS_PER_S + Math.log(100) / P99_SECONDS);

  /**
   * Whether pod {@code p} declares an objective when a share {@code share} of pods does: a pure function of
   * the pod, so every policy scored on the same arrivals sees the same declaring pods.
   */
  public static boolean declares(SimPod p, double share) {
    if (!(share >= 0 && share <= 1)) throw new IllegalArgumentException("slo share must be in [0, 1], got " + share);
    return (Noise.symmetric(p.noiseSeed(), 0, 91) + 1) / 2 < share;
  }

  /** Utilisation of a pod that wanted {@code demand} % SM and received {@code received} %. */
  static double rho(double demand, double received) {
    if (demand <= 0) return RHO_AT_FULL_SPEED; // wanting nothing, it lost nothing
    if (received <= 0) return Double.POSITIVE_INFINITY;
    return RHO_AT_FULL_SPEED * Math.max(1.0, demand / received);
  }

  /** P(latency <= x) at utilisation {@code rho} (0 where the queue is unstable). */
  static double cdf(double rho, double x) {
    if (!(rho < 1)) return 0;
    return 1 - Math.exp(-ARRIVALS_PER_S * (1 / rho - 1) * x);
  }

  /** One declaring pod's window: its moments, its scrapes and the truth. */
  public static final class Window {
    private final List<Double> rhos = new ArrayList<>();
    private final double[] cumulative = new double[BUCKETS.length + 1]; // last: +Inf
    private double requests;
    private final List<Scrape> scrapes = new ArrayList<>();

    /**
     * Scrapes the pod's endpoint at {@code atSeconds}: renders its metrics as Prometheus text and parses
     * them with the node's own parser (the "same code the node runs" path). The window's first scrape comes
     * before its first moment.
     */
    public void scrape(double atSeconds) {
      try {
        scrapes.add(Scrape.ok(atSeconds, ExpositionParser.parse(render(), OBJECTIVE)));
      } catch (MalformedMetricsException e) {
        throw new IllegalStateException("the simulator rendered metrics its own parser refuses", e);
      }
    }

    /** A moment of {@code seconds} in which the pod wanted {@code demand} % SM and received {@code received} %. */
    public void add(double demand, double received, double seconds) {
      double rho = rho(demand, received);
      rhos.add(rho);
      double n = ARRIVALS_PER_S * seconds;
      for (int i = 0; i < BUCKETS.length; i++) cumulative[i] += n * cdf(rho, BUCKETS[i]);
      cumulative[BUCKETS.length] += n;
      requests += n;
    }

    /** The pod's metrics endpoint body now (Prometheus text 0.0.4). */
    public String render() {
      StringBuilder b = new StringBuilder();
      b.append("# HELP ").append(METRIC).append(" Request latency (simulated M/M/1).\n");
      b.append("# TYPE ").append(METRIC).append(" histogram\n");
      for (int i = 0; i < BUCKETS.length; i++)
        b.append(METRIC).append("_bucket{le=\"").append(java.math.BigDecimal.valueOf(BUCKETS[i]).toPlainString()).append("\"} ").append(num(cumulative[i])).append('\n');
      b.append(METRIC).append("_bucket{le=\"+Inf\"} ").append(num(cumulative[BUCKETS.length])).append('\n');
      b.append(METRIC).append("_count ").append(num(cumulative[BUCKETS.length])).append('\n');
      b.append("# TYPE ").append(COUNTER).append(" counter\n");
      b.append(COUNTER).append(' ').append(num(requests)).append('\n');
      return b.toString();
    }

    /** What the node's judge makes of the scrapes so far. */
    public SloVerdict judged() { return SloJudge.judge(OBJECTIVE, scrapes); }

    /**
     * The truth: the window's exact p99 (every moment's requests, equally many per second) is at most the
     * objective, i.e. at least 99 % of its requests finished within {@value #P99_SECONDS} s.
     */
    public boolean truthMet() {
      if (rhos.isEmpty()) throw new IllegalStateException("a window has at least one moment");
      double within = 0;
      for (double r : rhos) within += cdf(r, P99_SECONDS);
      return within / rhos.size() >= 0.99;
    }

    public int moments() { return rhos.size(); }
  }

  private static String num(double v) { return String.format(Locale.ROOT, "%.6f", v); }
}
