package dev.edgeppo.observe.slo;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pod's declared service level (SPEC §5): {@code METRIC:pQ<=SECONDS} (the Q-th percentile of a
 * histogram over the observation window, at most SECONDS) or {@code METRIC:rate>=PER_SECOND} (a
 * counter's increase over the window per second, at least PER_SECOND). The threshold is in seconds, as
 * SPEC §5 writes it, whatever the histogram's unit: a histogram named in milliseconds or microseconds
 * (Triton's {@code nv_inference_first_response_histogram_ms}) has its quantile converted to seconds by
 * its name's suffix ({@link Quantile#unitsPerSecond}) before it is compared.
 */
public sealed interface Objective permits Objective.Quantile, Objective.Rate {

  /** The longest objective accepted: an annotation, not a document. */
  int MAX_LENGTH = 512;

  /** The metric's name as declared: a histogram's base name, or a counter's name (with or without {@code _total}). */
  String metric();

  /** The canonical text, which {@link #parse} reads back to an equal objective. */
  String text();

  /** Whether a sample called {@code sampleName} in a scrape is one this objective needs. */
  boolean needs(String sampleName);

  /** The Q-th percentile ({@code quantile} = Q/100, in (0, 1)) must be at most {@code maxValue}. */
  record Quantile(String metric, double quantile, double maxValue) implements Objective {
    public Quantile {
      checkMetric(metric);
      if (!(quantile > 0 && quantile < 1)) throw new IllegalArgumentException("quantile must be in (0, 1), got " + quantile);
      if (!Double.isFinite(maxValue) || maxValue < 0) throw new IllegalArgumentException("threshold must be finite and >= 0, got " + maxValue);
    }

    @Override public String text() { return metric + ":p" + plain(quantile * 100) + "<=" + plain(maxValue); }

    @Override public boolean needs(String sampleName) { return sampleName.equals(metric + "_bucket"); }

    /**
     * The histogram's units in one second, read from its name's last suffix: {@code _ms}/{@code _milliseconds}
     * 1,000, {@code _us}/{@code _microseconds} 10⁶, {@code _ns}/{@code _nanoseconds} 10⁹; otherwise 1 (seconds,
     * Prometheus' base unit, which vLLM's {@code _seconds} histograms use).
     */
    public double unitsPerSecond() {
      String m = metric.toLowerCase(Locale.ROOT);
      for (var u : UNIT_SUFFIXES) if (m.endsWith(u.getKey())) return u.getValue();
      return 1;
    }
  }

  java.util.List<java.util.Map.Entry<String, Double>> UNIT_SUFFIXES = java.util.List.of(
      java.util.Map.entry("_milliseconds", 1e3), java.util.Map.entry("_ms", 1e3),
      java.util.Map.entry("_microseconds", 1e6), java.util.Map.entry("_us", 1e6),
      java.util.Map.entry("_nanoseconds", 1e9), java.util.Map.entry("_ns", 1e9));

  /** The counter's increase per second over the window must be at least {@code minPerSecond}. */
  record Rate(String metric, double minPerSecond) implements Objective {
    public Rate {
      checkMetric(metric);
      if (!Double.isFinite(minPerSecond) || minPerSecond < 0) throw new IllegalArgumentException("rate must be finite and >= 0, got " + minPerSecond);
    }

    @Override public String text() { return metric + ":rate>=" + plain(minPerSecond); }

    /**
     * The counter as 0.0.4 names it (Triton's {@code nv_inference_count}) or as OpenMetrics does
     * ({@code nv_inference_count_total}); a declared {@code _total} name also matches the bare one.
     */
    @Override public boolean needs(String sampleName) {
      if (sampleName.equals(metric) || sampleName.equals(metric + "_total")) return true;
      return metric.endsWith("_total") && sampleName.equals(metric.substring(0, metric.length() - "_total".length()));
    }
  }

  // A Prometheus metric name: the colon is legal (vLLM's "vllm:..."), so the objective's own
  // separator is the LAST ':' before "p" or "rate".
  Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  Pattern QUANTILE = Pattern.compile("p([0-9]+(?:\\.[0-9]+)?)<=([0-9]+(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)");
  Pattern RATE = Pattern.compile("rate>=([0-9]+(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)");

  /**
   * Reads an objective; every malformed text gets an {@link IllegalArgumentException} saying what is
   * wrong and what the grammar is.
   */
  static Objective parse(String text) {
    if (text == null) throw new IllegalArgumentException("objective missing");
    String s = text.strip();
    if (s.isEmpty()) throw bad(text, "it is empty");
    if (s.length() > MAX_LENGTH) throw bad(s.substring(0, 40) + "...", "longer than " + MAX_LENGTH + " characters");
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) throw bad(s, "no ':' between the metric and the bound");
    String metric = s.substring(0, colon);
    String bound = s.substring(colon + 1).replace(" ", "");
    if (!METRIC_NAME.matcher(metric).matches()) throw bad(s, "'" + metric + "' is not a Prometheus metric name");
    Matcher q = QUANTILE.matcher(bound);
    if (q.matches()) {
      double percent = Double.parseDouble(q.group(1));
      if (!(percent > 0 && percent < 100)) throw bad(s, "the percentile must be in (0, 100), got " + q.group(1));
      double max = Double.parseDouble(q.group(2));
      if (!Double.isFinite(max)) throw bad(s, "the threshold is not a finite number");
      // Through BigDecimal: 99.9 / 100 in doubles is 0.9990000000000001, not the 0.999 declared.
      return new Quantile(metric, new java.math.BigDecimal(q.group(1)).movePointLeft(2).doubleValue(), max);
    }
    Matcher r = RATE.matcher(bound);
    if (r.matches()) {
      double min = Double.parseDouble(r.group(1));
      if (!Double.isFinite(min)) throw bad(s, "the rate is not a finite number");
      return new Rate(metric, min);
    }
    throw bad(s, "'" + bound + "' is neither pQ<=SECONDS nor rate>=PER_SECOND");
  }

  private static IllegalArgumentException bad(String text, String why) {
    return new IllegalArgumentException("objective '" + text + "': " + why
        + " (expected METRIC:pQ<=SECONDS, as in vllm:e2e_request_latency_seconds:p99<=0.5, or METRIC:rate>=PER_SECOND)");
  }

  private static void checkMetric(String metric) {
    if (metric == null || !METRIC_NAME.matcher(metric).matches()) throw new IllegalArgumentException("not a metric name: " + metric);
  }

  /** A number without a trailing ".0" and never in exponent form for the usual magnitudes. */
  private static String plain(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
    String s = String.format(Locale.ROOT, "%.9f", v);
    return s.replaceAll("0+$", "").replaceAll("\\.$", "");
  }
}
