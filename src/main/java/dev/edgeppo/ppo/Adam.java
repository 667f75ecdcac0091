package dev.edgeppo.ppo;

/** One Adam step exactly as torch.optim.Adam computes it in float32 (docs/ppo-update.md step 9). */
final class Adam {
  private Adam() {}

  static void step(float[] p, float[] g, AdamState s, double lr, double eps) {
    long t = s.step() + 1;
    s.setStep(t);
    // torch computes the bias corrections in double and the element-wise work in float32.
    double bc1 = 1.0 - Math.pow(Hyperparameters.ADAM_BETA1, t);
    double bc2Sqrt = Math.sqrt(1.0 - Math.pow(Hyperparameters.ADAM_BETA2, t));
    float stepSize = (float) (lr / bc1);
    float bc2 = (float) bc2Sqrt;
    float e = (float) eps;
    float w1 = (float) (1.0 - Hyperparameters.ADAM_BETA1);
    float b2 = (float) Hyperparameters.ADAM_BETA2, w2 = (float) (1.0 - Hyperparameters.ADAM_BETA2);
    float[] m = s.expAvg(), v = s.expAvgSq();
    for (int i = 0; i < p.length; i++) {
      float gi = g[i];
      m[i] += w1 * (gi - m[i]); // lerp, as torch does
      v[i] = v[i] * b2 + w2 * gi * gi;
      float denom = (float) Math.sqrt(v[i]) / bc2 + e;
      p[i] -= stepSize * m[i] / denom;
    }
  }
}
