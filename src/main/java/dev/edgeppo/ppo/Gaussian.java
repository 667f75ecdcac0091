package dev.edgeppo.ppo;

/** The diagonal Gaussian policy's formulas (SPEC §2), summed over action dimensions. */
public final class Gaussian {
  public static final float HALF_LOG_2PI = (float) (0.5 * Math.log(2 * Math.PI));

  private Gaussian() {}

  /** log N(a | mean, exp(logStd)) summed over dims; arrays read from the given offsets. */
  public static float logProb(float[] a, int aOff, float[] mean, int mOff, float[] logStd, int sOff, int dims) {
    float lp = 0f;
    for (int d = 0; d < dims; d++) {
      float std = (float) Math.exp(logStd[sOff + d]);
      float z = (a[aOff + d] - mean[mOff + d]) / std;
      lp += -0.5f * z * z - logStd[sOff + d] - HALF_LOG_2PI;
    }
    return lp;
  }

  /** Entropy Σ_d (0.5 + 0.5 ln 2π + log_std_d); state independent. */
  public static float entropy(float[] logStd, int sOff, int dims) {
    float h = 0f;
    for (int d = 0; d < dims; d++) h += 0.5f + HALF_LOG_2PI + logStd[sOff + d];
    return h;
  }
}
