package dev.edgeppo.ppo;

/** Generalised advantage estimation and advantage normalisation (docs/ppo-update.md steps 2 and 3). */
public final class Gae {
  private Gae() {}

  /**
   * Fills {@code adv} and {@code ret} for t = 0..T-1 from a batch's rewards, stored values, bootstrap
   * values of the next states and dones: δ_t = r_t + γ v'_t (1-d_t) - v_t, A_t = δ_t + γλ(1-d_t) A_{t+1},
   * R_t = A_t + v_t.
   */
  public static void compute(int t, float[] rewards, float[] values, float[] vNext, float[] dones,
                             float gamma, float lambda, float[] adv, float[] ret) {
    float next = 0f;
    for (int i = t - 1; i >= 0; i--) {
      float notDone = 1f - dones[i];
      float delta = rewards[i] + gamma * vNext[i] * notDone - values[i];
      next = delta + gamma * lambda * notDone * next;
      adv[i] = next;
      ret[i] = next + values[i];
    }
  }

  /** (A - mean) / (std + 1e-8) with Bessel's correction, as torch.std; a no-op when T < 2. */
  public static void normalize(int t, float[] adv) {
    if (t < 2) return;
    float sum = 0f;
    for (int i = 0; i < t; i++) sum += adv[i];
    float mean = sum / t;
    float ss = 0f;
    for (int i = 0; i < t; i++) {
      float d = adv[i] - mean;
      ss += d * d;
    }
    float denom = (float) Math.sqrt(ss / (t - 1)) + 1e-8f;
    for (int i = 0; i < t; i++) adv[i] = (adv[i] - mean) / denom;
  }

  /** 1 - Var(R - V) / Var(R), population variances; 0 when Var(R) is 0 (nothing to explain). */
  public static double explainedVariance(int t, float[] returns, float[] values) {
    double mr = 0, md = 0;
    for (int i = 0; i < t; i++) {
      mr += returns[i];
      md += returns[i] - values[i];
    }
    mr /= t;
    md /= t;
    double vr = 0, vd = 0;
    for (int i = 0; i < t; i++) {
      double a = returns[i] - mr, b = returns[i] - values[i] - md;
      vr += a * a;
      vd += b * b;
    }
    return vr == 0 ? 0.0 : 1.0 - vd / vr;
  }
}
