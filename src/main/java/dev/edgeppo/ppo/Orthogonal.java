package dev.edgeppo.ppo;

import java.util.SplittableRandom;

/**
 * Orthogonal initialisation as torch.nn.init.orthogonal_ defines it: QR of a Gaussian matrix (the
 * taller orientation), Q's columns sign-corrected by diag(R) so the result is uniformly distributed,
 * times the gain. Modified Gram-Schmidt in double is plenty for matrices of at most a few thousand rows.
 */
final class Orthogonal {
  private Orthogonal() {}

  static void fill(float[] dst, ParamLayout.Tensor t, double gain, SplittableRandom rng) {
    int rows = t.rows(), cols = t.cols();
    boolean transpose = rows < cols;
    int n = transpose ? cols : rows; // tall side
    int m = transpose ? rows : cols; // short side
    double[][] a = new double[m][n]; // m column vectors of length n
    for (int j = 0; j < m; j++) for (int i = 0; i < n; i++) a[j][i] = gaussian(rng);
    for (int j = 0; j < m; j++) {
      for (int k = 0; k < j; k++) {
        double dot = 0;
        for (int i = 0; i < n; i++) dot += a[k][i] * a[j][i];
        for (int i = 0; i < n; i++) a[j][i] -= dot * a[k][i];
      }
      double norm = 0;
      for (int i = 0; i < n; i++) norm += a[j][i] * a[j][i];
      norm = Math.sqrt(norm);
      // diag(R) > 0 in Gram-Schmidt already, so no sign fix is needed beyond normalising.
      for (int i = 0; i < n; i++) a[j][i] /= norm;
    }
    for (int r = 0; r < rows; r++)
      for (int c = 0; c < cols; c++) {
        double q = transpose ? a[r][c] : a[c][r];
        dst[t.offset() + r * cols + c] = (float) (gain * q);
      }
  }

  static double gaussian(SplittableRandom rng) {
    // Box-Muller; SplittableRandom has no nextGaussian of its own that is stable across JDKs.
    double u1 = 1.0 - rng.nextDouble(), u2 = rng.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
