package dev.edgeppo.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The hand-written float32 backward pass against central finite differences of an independent,
 * straightforward float64 evaluation of the loss of docs/ppo-update.md step 5 (written here from the
 * formulas, sharing no code with the backend). The batch puts some rows inside the clip range and
 * some far outside it, where the loss is smooth; a parameter whose step crosses a ReLU kink is
 * recognised by disagreeing one-sided slopes and not compared.
 */
class CpuBackendGradientTest {
  /** H 8 and 20 exercise the narrow and tail paths of the vectorised layers, 64 the 4-accumulator path. */
  @ParameterizedTest
  @CsvSource({"1,8", "2,8", "3,20", "4,64"})
  void gradientMatchesFiniteDifferences(long seed, int h) {
    int t = 12;
    Hyperparameters hp = Hyperparameters.defaults().withHidden(h).withBatchSize(t);
    PolicyParams p = PolicyParams.initialise(h, 0.5, seed);
    SplittableRandom r = new SplittableRandom(seed * 31);
    // Larger actor output weights than the 0.01 init so the policy gradient is not vanishingly small.
    ParamLayout.Tensor head = p.layout().tensor("actor.4.weight");
    for (int i = head.offset(); i < head.offset() + head.size(); i++)
      p.data()[i] = (float) (r.nextDouble() - 0.5);
    RolloutBatch b = RolloutBatch.allocate(t);
    Policy pol = new Policy(p, 0);
    float[] adv = new float[t], ret = new float[t];
    for (int i = 0; i < t; i++) {
      for (int k = 0; k < 5; k++) b.states()[i * 5 + k] = (float) r.nextDouble();
      float[] s = java.util.Arrays.copyOfRange(b.states(), i * 5, i * 5 + 5);
      Policy.Decision d = pol.act(s, true, new SplittableRandom(seed + i));
      System.arraycopy(d.action(), 0, b.actions(), i * 2, 2);
      // Rows cycle: ratio near 1 (inside the clip range), about e (above), about 1/e (below).
      double shift = i % 3 == 0 ? 0.05 * (r.nextDouble() - 0.5) : (i % 3 == 1 ? -1.0 : 1.0);
      b.logProbs()[i] = (float) (d.logProb() + shift);
      adv[i] = (float) (r.nextDouble() * 2 - 1);
      ret[i] = (float) (r.nextDouble() * 2 - 0.5);
    }
    float[] g = new float[p.layout().size()];
    double lossF = new CpuBackend().lossAndGradientForTest(p, b, adv, ret, hp, g);

    double[] x = new double[g.length];
    for (int i = 0; i < x.length; i++) x[i] = p.data()[i];
    double f0 = loss(p.layout(), x, b, adv, ret, hp);
    assertEquals(f0, lossF, 1e-5 * Math.max(1, Math.abs(f0)), "float32 loss against the float64 reference");
    int checked = 0, kinks = 0;
    // Every parameter for small H; a seeded sample of 600 for H=64, where each loss costs more.
    SplittableRandom pick = new SplittableRandom(seed);
    for (int i = 0; i < x.length; i++) {
      if (x.length > 2000 && pick.nextInt(x.length) >= 600) continue;
      double orig = x[i], step = 1e-5;
      x[i] = orig + step;
      double up = loss(p.layout(), x, b, adv, ret, hp);
      x[i] = orig - step;
      double down = loss(p.layout(), x, b, adv, ret, hp);
      x[i] = orig;
      double fd = (up - down) / (2 * step);
      double tol = 2e-5 + 2e-3 * Math.abs(fd);
      if (Math.abs((up - f0) / step - (f0 - down) / step) > tol) {
        kinks++;
        continue;
      }
      if (Math.abs(fd - g[i]) > tol)
        throw new AssertionError(String.format("parameter %d (%s): analytic %.7g, finite difference %.7g",
            i, name(p.layout(), i), g[i], fd));
      checked++;
    }
    assertTrue(checked >= Math.min(g.length, 400) * 0.9, "compared only " + checked + " parameters");
    assertTrue(kinks <= (checked + kinks) / 20, kinks + " of " + g.length + " parameters sat on a kink");
  }

  /** L = -mean(min(ρA, clip(ρ)A)) + c1 mean((V - R)^2) - c2 Σ_d(0.5 + 0.5 ln 2π + log σ_d), in float64. */
  static double loss(ParamLayout l, double[] x, RolloutBatch b, float[] adv, float[] ret, Hyperparameters hp) {
    int t = b.size(), h = l.hidden();
    double pol = 0, val = 0, eps = hp.clipEpsilon();
    for (int i = 0; i < t; i++) {
      double[] s = new double[5];
      for (int k = 0; k < 5; k++) s[k] = b.states()[i * 5 + k];
      double[] a1 = relu(lin(x, l.tensor("actor.0.weight"), l.tensor("actor.0.bias"), s));
      double[] a2 = relu(lin(x, l.tensor("actor.2.weight"), l.tensor("actor.2.bias"), a1));
      double[] z = lin(x, l.tensor("actor.4.weight"), l.tensor("actor.4.bias"), a2);
      double logp = 0;
      for (int d = 0; d < 2; d++) {
        double mean = 1 / (1 + Math.exp(-z[d])), ls = x[l.logStd.offset() + d], sd = Math.exp(ls);
        double diff = b.actions()[i * 2 + d] - mean;
        logp += -diff * diff / (2 * sd * sd) - ls - 0.5 * Math.log(2 * Math.PI);
      }
      double ratio = Math.exp(logp - b.logProbs()[i]);
      double clipped = Math.min(Math.max(ratio, 1 - eps), 1 + eps);
      pol += Math.min(ratio * adv[i], clipped * adv[i]);
      double[] c1 = relu(lin(x, l.tensor("critic.0.weight"), l.tensor("critic.0.bias"), s));
      double[] c2 = relu(lin(x, l.tensor("critic.2.weight"), l.tensor("critic.2.bias"), c1));
      double v = lin(x, l.tensor("critic.4.weight"), l.tensor("critic.4.bias"), c2)[0];
      val += (v - ret[i]) * (v - ret[i]);
    }
    double ent = 0;
    for (int d = 0; d < 2; d++) ent += 0.5 + 0.5 * Math.log(2 * Math.PI) + x[l.logStd.offset() + d];
    return -pol / t + hp.valueCoef() * val / t - hp.entropyCoef() * ent;
  }

  private static double[] lin(double[] x, ParamLayout.Tensor w, ParamLayout.Tensor bias, double[] in) {
    double[] y = new double[w.rows()];
    for (int o = 0; o < w.rows(); o++) {
      double acc = x[bias.offset() + o];
      for (int k = 0; k < w.cols(); k++) acc += x[w.offset() + o * w.cols() + k] * in[k];
      y[o] = acc;
    }
    return y;
  }

  private static double[] relu(double[] v) {
    for (int i = 0; i < v.length; i++) v[i] = Math.max(0, v[i]);
    return v;
  }

  private static String name(ParamLayout l, int i) {
    for (ParamLayout.Tensor t : l.tensors()) if (i >= t.offset() && i < t.offset() + t.size()) return t.name();
    return "?";
  }
}
