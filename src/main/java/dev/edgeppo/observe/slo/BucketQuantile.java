package dev.edgeppo.observe.slo;

/**
 * PromQL's {@code histogram_quantile} over classic buckets, as Prometheus documents it: the bucket
 * holding rank {@code q * count} is found and the quantile interpolated linearly inside it; the
 * first bucket's lower bound is 0 (if its upper bound is positive); a rank in the {@code +Inf} bucket
 * answers the largest finite upper bound. NaN where Prometheus answers NaN (no observations, no
 * {@code +Inf} bucket, fewer than two buckets).
 */
public final class BucketQuantile {
  private BucketQuantile() {}

  /**
   * @param q quantile in [0, 1]
   * @param upperBounds strictly increasing, the last one {@code +Inf}
   * @param cumulative the cumulative count of each bucket, non-decreasing
   */
  public static double of(double q, double[] upperBounds, double[] cumulative) {
    if (upperBounds.length != cumulative.length) throw new IllegalArgumentException("bounds and counts differ in length");
    int n = upperBounds.length;
    if (n < 2 || upperBounds[n - 1] != Double.POSITIVE_INFINITY) return Double.NaN;
    double observations = cumulative[n - 1];
    if (!(observations > 0)) return Double.NaN;
    double rank = q * observations;
    int b = 0;
    while (b < n - 1 && cumulative[b] < rank) b++;
    if (b == n - 1) return upperBounds[n - 2];
    if (b == 0 && upperBounds[0] <= 0) return upperBounds[0];
    double start = 0;
    double end = upperBounds[b];
    double count = cumulative[b];
    if (b > 0) {
      start = upperBounds[b - 1];
      count -= cumulative[b - 1];
      rank -= cumulative[b - 1];
    }
    return start + (end - start) * (rank / count);
  }
}
