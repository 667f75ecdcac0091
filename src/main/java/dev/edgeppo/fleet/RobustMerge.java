package dev.edgeppo.fleet;

import java.util.Arrays;
import java.util.List;

/**
 * Federated averaging that one bad agent cannot drag far: weighted averaging around a robust centre
 * ("centered clipping", Karimireddy, He and Jaggi 2021). Per merge:
 * <ol>
 *   <li>centre c = the coordinate-wise median of the policies (a minority cannot move a median past the
 *       majority's values);
 *   <li>each policy's offset d_i = θ_i − c is clipped to the median offset length τ, so no single policy,
 *       however far it has wandered, pulls harder than a typical one;
 *   <li>result = c + Σ w_i clip(d_i) / Σ w_i, with w_i the experience each learned since its last merge, capped
 *       at {@value #WEIGHT_CAP}× the median weight (an agent cannot claim the fleet by reporting a huge count).
 * </ol>
 * With one policy the result is that policy; with identical policies, that policy; with honest agents on
 * similar data it is close to plain experience-weighted FedAvg (offsets are similar in size, few are clipped).
 */
public final class RobustMerge {
  /** A weight counts at most this many times the median weight. */
  public static final double WEIGHT_CAP = 4.0;

  private RobustMerge() {}

  /** One policy and its weight (> 0). */
  public record Contribution(float[] params, double weight) {}

  /** The merged parameters, and how many offsets were clipped to τ. */
  public record Result(float[] params, int clipped, double tau) {}

  public static Result merge(List<Contribution> cs) {
    if (cs.isEmpty()) throw new IllegalArgumentException("nothing to merge");
    int n = cs.size(), len = cs.getFirst().params().length;
    for (Contribution c : cs) {
      if (c.params().length != len) throw new IllegalArgumentException("policies of different sizes: " + c.params().length + " vs " + len);
      if (!(c.weight() > 0) || !Double.isFinite(c.weight())) throw new IllegalArgumentException("weight must be finite and > 0, got " + c.weight());
    }
    if (n == 1) return new Result(cs.getFirst().params().clone(), 0, 0);
    float[] centre = new float[len];
    float[] column = new float[n];
    for (int j = 0; j < len; j++) {
      for (int i = 0; i < n; i++) column[i] = cs.get(i).params()[j];
      centre[j] = median(column);
    }
    double[] norms = new double[n];
    for (int i = 0; i < n; i++) {
      float[] p = cs.get(i).params();
      double s = 0;
      for (int j = 0; j < len; j++) {
        double d = p[j] - centre[j];
        s += d * d;
      }
      norms[i] = Math.sqrt(s);
    }
    double tau = median(norms);
    double[] weights = new double[n];
    for (int i = 0; i < n; i++) weights[i] = cs.get(i).weight();
    double cap = WEIGHT_CAP * median(weights), total = 0;
    for (int i = 0; i < n; i++) total += weights[i] = Math.min(weights[i], cap);
    double[] sum = new double[len];
    int clipped = 0;
    for (int i = 0; i < n; i++) {
      float[] p = cs.get(i).params();
      double scale = norms[i] > tau && norms[i] > 0 ? tau / norms[i] : 1.0;
      if (scale < 1) clipped++;
      double k = weights[i] / total * scale;
      for (int j = 0; j < len; j++) sum[j] += k * (p[j] - centre[j]);
    }
    float[] out = new float[len];
    for (int j = 0; j < len; j++) out[j] = (float) (centre[j] + sum[j]);
    return new Result(out, clipped, tau);
  }

  /** The median (mean of the middle two for an even count); sorts a copy. */
  static float median(float[] v) {
    float[] s = v.clone();
    Arrays.sort(s);
    int m = s.length / 2;
    return s.length % 2 == 1 ? s[m] : (float) ((s[m - 1] + (double) s[m]) / 2);
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int m = s.length / 2;
    return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
  }
}
