package dev.edgeppo.ppo;

import static dev.edgeppo.ppo.DenseVector.L;
import static dev.edgeppo.ppo.DenseVector.S;

import jdk.incubator.vector.FloatVector;

/** One Adam step exactly as torch.optim.Adam computes it in float32 (docs/ppo-update.md step 9). */
final class Adam {
  private Adam() {}

  static void step(float[] p, float[] g, AdamState s, double lr, double eps) {
    long t = s.step() + 1;
    s.setStep(t);
    // torch computes the bias corrections in double and the element-wise work in float32.
    double bc1 = 1.0 - Math.pow(Hyperparameters.ADAM_BETA1, t);
    float stepSize = (float) (lr / bc1);
    float bc2 = (float) Math.sqrt(1.0 - Math.pow(Hyperparameters.ADAM_BETA2, t));
    float e = (float) eps;
    float w1 = (float) (1.0 - Hyperparameters.ADAM_BETA1);
    float b2 = (float) Hyperparameters.ADAM_BETA2, w2 = (float) (1.0 - Hyperparameters.ADAM_BETA2);
    float[] m = s.expAvg(), v = s.expAvgSq();
    int i = 0, bound = S.loopBound(p.length);
    for (; i < bound; i += L) {
      FloatVector gi = FloatVector.fromArray(S, g, i);
      FloatVector mi = FloatVector.fromArray(S, m, i);
      mi = gi.sub(mi).mul(w1).add(mi); // lerp, as torch does
      FloatVector vi = FloatVector.fromArray(S, v, i).mul(b2).add(gi.mul(gi).mul(w2));
      FloatVector denom = vi.sqrt().div(bc2).add(e);
      FloatVector.fromArray(S, p, i).sub(mi.mul(stepSize).div(denom)).intoArray(p, i);
      mi.intoArray(m, i);
      vi.intoArray(v, i);
    }
    for (; i < p.length; i++) {
      float gi = g[i];
      m[i] += w1 * (gi - m[i]);
      v[i] = v[i] * b2 + w2 * gi * gi;
      float denom = (float) Math.sqrt(v[i]) / bc2 + e;
      p[i] -= stepSize * m[i] / denom;
    }
  }
}
