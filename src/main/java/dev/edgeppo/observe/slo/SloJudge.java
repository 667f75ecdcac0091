package dev.edgeppo.observe.slo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Judges one observation window's scrapes (its start, each period, its end) against an objective.
 *
 * <p>Increases are worked out per series (one label set) over consecutive successful scrapes as
 * PromQL's {@code increase()} counts them: a value that drops is a counter reset and the new value
 * is the increase since; a series first seen mid-window counts from that first sample. A histogram's
 * reset is seen by any of its buckets and applies to all of them (the buckets of one histogram reset
 * together), so a reset never leaves the buckets non-cumulative. The series' increases are then
 * summed ({@code sum by (le)}) and:
 * <ul>
 *   <li>quantile: {@link BucketQuantile} of the summed bucket increases, as
 *       {@code histogram_quantile(q, sum by (le) (increase(M_bucket[window])))}; met if at most the bound;
 *   <li>rate: the summed increase divided by the time between the first and the last successful
 *       scrape (no extrapolation to the window's edges); met if at least the bound.
 * </ul>
 * Undecided (SPEC §5: the NVML rules apply) with the reason when fewer than two scrapes succeeded,
 * the metric is in none of them, the window saw no observation, or the samples are unusable (NaN,
 * negative counts, buckets without {@code +Inf}, not cumulative, different boundaries per series).
 */
public final class SloJudge {
  private SloJudge() {}

  public static SloVerdict judge(Objective objective, List<Scrape> scrapes) {
    int failed = 0;
    String lastFailure = null;
    List<Scrape> ok = new ArrayList<>();
    for (Scrape s : scrapes) {
      if (s.succeeded()) ok.add(s);
      else { failed++; lastFailure = s.failure(); }
    }
    int total = scrapes.size();
    if (ok.size() < 2) {
      String why = total == 0 ? "no scrapes"
          : "only " + ok.size() + " of " + total + " scrapes succeeded" + (lastFailure == null ? "" : " (last failure: " + lastFailure + ")");
      return SloVerdict.undecided(objective, why, total, failed);
    }
    for (int k = 1; k < ok.size(); k++) {
      if (!(ok.get(k).atSeconds() > ok.get(k - 1).atSeconds())) {
        return SloVerdict.undecided(objective, "scrape times do not increase", total, failed);
      }
    }
    try {
      return switch (objective) {
        case Objective.Quantile q -> quantile(q, ok, total, failed);
        case Objective.Rate r -> rate(r, ok, total, failed);
      };
    } catch (Unusable e) {
      return SloVerdict.undecided(objective, e.getMessage(), total, failed);
    }
  }

  private static SloVerdict rate(Objective.Rate r, List<Scrape> ok, int total, int failed) throws Unusable {
    // Series key: sample name + labels (a counter named both ways in one body counts as two series).
    List<Map<String, Double>> perScrape = new ArrayList<>();
    boolean anywhere = false;
    for (Scrape s : ok) {
      Map<String, Double> series = new HashMap<>();
      for (var e : s.snapshot().samples().entrySet()) {
        if (!r.needs(e.getKey())) continue;
        for (MetricsSnapshot.Sample sample : e.getValue()) {
          double v = sample.value();
          if (Double.isNaN(v) || v < 0 || Double.isInfinite(v)) throw new Unusable("counter " + e.getKey() + " is " + v);
          series.put(e.getKey() + sample.labels(), v);
          anywhere = true;
        }
      }
      perScrape.add(series);
    }
    if (!anywhere) throw new Unusable("metric " + r.metric() + " not found in any scrape");
    double increase = 0;
    for (double inc : increases(perScrape).values()) increase += inc;
    if (increase == 0) throw new Unusable("no observations of " + r.metric() + " in the window");
    double span = ok.getLast().atSeconds() - ok.getFirst().atSeconds();
    double value = increase / span;
    var outcome = value >= r.minPerSecond() ? SloVerdict.Outcome.MET : SloVerdict.Outcome.MISSED;
    return new SloVerdict(r, outcome, value, null, total, failed);
  }

  private static SloVerdict quantile(Objective.Quantile q, List<Scrape> ok, int total, int failed) throws Unusable {
    String bucketName = q.metric() + "_bucket";
    // Per scrape: series (labels without le) -> its buckets (upper bound -> cumulative count).
    List<Map<Map<String, String>, TreeMap<Double, Double>>> perScrape = new ArrayList<>();
    boolean anywhere = false;
    for (Scrape s : ok) {
      Map<Map<String, String>, TreeMap<Double, Double>> histograms = new HashMap<>();
      for (MetricsSnapshot.Sample sample : s.snapshot().get(bucketName)) {
        String le = sample.labels().get("le");
        if (le == null) throw new Unusable(bucketName + " sample without an le label");
        double bound = parseLe(le);
        double v = sample.value();
        if (Double.isNaN(v) || v < 0 || Double.isInfinite(v)) throw new Unusable("bucket " + le + " of " + bucketName + " is " + v);
        Map<String, String> series = new HashMap<>(sample.labels());
        series.remove("le");
        if (histograms.computeIfAbsent(Map.copyOf(series), k -> new TreeMap<>()).put(bound, v) != null) {
          throw new Unusable("bucket le=" + le + " of " + bucketName + " given twice");
        }
        anywhere = true;
      }
      for (var h : histograms.entrySet()) checkHistogram(bucketName, h.getValue());
      perScrape.add(histograms);
    }
    if (!anywhere) throw new Unusable("histogram " + q.metric() + " (" + bucketName + ") not found in any scrape");

    // One increase per series over the window; a reset seen by any bucket resets the whole series.
    Map<Map<String, String>, TreeMap<Double, Double>> previous = new HashMap<>();
    Map<Map<String, String>, TreeMap<Double, Double>> increase = new LinkedHashMap<>();
    for (var histograms : perScrape) {
      for (var h : histograms.entrySet()) {
        TreeMap<Double, Double> now = h.getValue();
        TreeMap<Double, Double> before = previous.get(h.getKey());
        if (before == null) {
          increase.put(h.getKey(), zeros(now));
        } else {
          if (!before.keySet().equals(now.keySet())) throw new Unusable("the buckets of " + bucketName + " changed during the window");
          boolean reset = false;
          for (var b : now.entrySet()) if (b.getValue() < before.get(b.getKey())) reset = true;
          TreeMap<Double, Double> acc = increase.get(h.getKey());
          for (var b : now.entrySet()) {
            double inc = reset ? b.getValue() : b.getValue() - before.get(b.getKey());
            acc.merge(b.getKey(), inc, Double::sum);
          }
        }
        previous.put(h.getKey(), now);
      }
    }
    TreeMap<Double, Double> summed = new TreeMap<>();
    for (TreeMap<Double, Double> inc : increase.values()) {
      if (!summed.isEmpty() && !summed.keySet().equals(inc.keySet())) throw new Unusable("the series of " + bucketName + " have different buckets");
      inc.forEach((b, v) -> summed.merge(b, v, Double::sum));
    }
    double[] bounds = new double[summed.size()];
    double[] counts = new double[summed.size()];
    int k = 0;
    for (var b : summed.entrySet()) { bounds[k] = b.getKey(); counts[k] = b.getValue(); k++; }
    if (counts[counts.length - 1] == 0) throw new Unusable("no observations of " + q.metric() + " in the window");
    // In seconds, as the objective's bound is, whatever unit the histogram counts in.
    double value = BucketQuantile.of(q.quantile(), bounds, counts) / q.unitsPerSecond();
    if (Double.isNaN(value)) throw new Unusable("the quantile of " + q.metric() + " is undefined");
    var outcome = value <= q.maxValue() ? SloVerdict.Outcome.MET : SloVerdict.Outcome.MISSED;
    return new SloVerdict(q, outcome, value, null, total, failed);
  }

  /** Per series key, its increase over the scrapes (PromQL's increase() without extrapolation). */
  private static <K> Map<K, Double> increases(List<Map<K, Double>> perScrape) {
    Map<K, Double> previous = new HashMap<>();
    Map<K, Double> increase = new HashMap<>();
    for (Map<K, Double> scrape : perScrape) {
      for (var e : scrape.entrySet()) {
        Double before = previous.put(e.getKey(), e.getValue());
        if (before == null) { increase.putIfAbsent(e.getKey(), 0.0); continue; }
        double inc = e.getValue() < before ? e.getValue() : e.getValue() - before;
        increase.merge(e.getKey(), inc, Double::sum);
      }
    }
    return increase;
  }

  private static void checkHistogram(String name, TreeMap<Double, Double> buckets) throws Unusable {
    if (buckets.lastKey() != Double.POSITIVE_INFINITY) throw new Unusable(name + " has no le=\"+Inf\" bucket");
    if (buckets.size() < 2) throw new Unusable(name + " has only the +Inf bucket");
    double last = -1;
    for (var b : buckets.entrySet()) {
      if (b.getValue() < last) throw new Unusable(name + " buckets are not cumulative (le=" + b.getKey() + ")");
      last = b.getValue();
    }
  }

  private static TreeMap<Double, Double> zeros(TreeMap<Double, Double> like) {
    TreeMap<Double, Double> z = new TreeMap<>();
    for (Double k : like.keySet()) z.put(k, 0.0);
    return z;
  }

  private static double parseLe(String le) throws Unusable {
    String s = le.strip();
    if (s.equals("+Inf") || s.equals("Inf") || s.equalsIgnoreCase("+inf")) return Double.POSITIVE_INFINITY;
    try {
      double v = Double.parseDouble(s);
      if (Double.isNaN(v) || s.endsWith("d") || s.endsWith("f") || s.endsWith("D") || s.endsWith("F")) throw new NumberFormatException();
      return v;
    } catch (NumberFormatException e) {
      throw new Unusable("le=\"" + (s.length() > 40 ? s.substring(0, 40) : s) + "\" is not a number");
    }
  }

  /** The samples cannot be judged; the message says why. */
  private static final class Unusable extends Exception {
    Unusable(String message) { super(message, null, false, false); }
  }
}
