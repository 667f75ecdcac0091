package dev.edgeppo.ppo;

import static dev.edgeppo.ppo.ParamLayout.ACTION_DIM;
import static dev.edgeppo.ppo.ParamLayout.STATE_DIM;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The reference backend: SPEC §2 / docs/ppo-update.md in plain float32 Java, step by step. Work
 * buffers are allocated once per (T, H) and reused, so an update allocates nothing on its hot path
 * but the metrics it returns. Not thread-safe: one update at a time.
 */
public final class CpuBackend implements UpdateBackend {
  private static final float LOG_STD_MIN = (float) Hyperparameters.LOG_STD_MIN;
  private static final float LOG_STD_MAX = (float) Hyperparameters.LOG_STD_MAX;

  private ParamLayout layout;
  private int rows; // capacity in batch rows
  // per-batch
  private float[] vNext, adv, ret;
  private int[] order;
  // per-minibatch activations and gradients, [rows, ...]
  private float[] mbS, mbA, mbLogpOld, mbAdv, mbRet;
  private Mlp actorNet, criticNet;
  // each layer's output, and the gradient at it; the last layer's output is the mean or the value
  private float[][] aOut, aGrad, cOut, cGrad;
  /** The critic's buffers with the bootstrap values v_next as its output. */
  private float[][] cNextOut;
  private float[] amean, cv, dmean, dv;
  private float[] grad;
  private final float[] var = new float[ACTION_DIM];
  private StepObserver observer;

  /** Sees each optimisation step's statistics; for tests and diagnostics. */
  @FunctionalInterface
  public interface StepObserver {
    void step(StepStats s);
  }

  /** One optimisation step, measured at its forward pass (grad_norm before clipping). */
  public record StepStats(double loss, double policyLoss, double valueLoss, double entropy, double approxKl,
                          double clipFraction, double gradNorm, boolean skipped) {}

  @Override
  public String name() { return "cpu"; }

  public void setStepObserver(StepObserver o) { observer = o; }

  private void ensure(ParamLayout l, int t) {
    if (layout != null && layout.hidden() == l.hidden() && rows >= t) return;
    layout = l;
    rows = Math.max(t, rows);
    vNext = new float[rows]; adv = new float[rows]; ret = new float[rows];
    order = new int[rows];
    mbS = new float[rows * STATE_DIM]; mbA = new float[rows * ACTION_DIM];
    mbLogpOld = new float[rows]; mbAdv = new float[rows]; mbRet = new float[rows];
    actorNet = new Mlp(l.actor());
    criticNet = new Mlp(l.critic());
    aOut = actorNet.buffers(rows); aGrad = actorNet.buffers(rows);
    cOut = criticNet.buffers(rows); cGrad = criticNet.buffers(rows);
    cNextOut = cOut.clone();
    cNextOut[cNextOut.length - 1] = vNext;
    amean = aOut[aOut.length - 1]; dmean = aGrad[aGrad.length - 1];
    cv = cOut[cOut.length - 1]; dv = cGrad[cGrad.length - 1];
    grad = new float[l.size()];
  }

  @Override
  public UpdateMetrics update(PolicyParams params, AdamState adam, RolloutBatch b, Hyperparameters hp) {
    ParamLayout l = params.layout();
    int t = b.size();
    ensure(l, t);
    float[] p = params.data();

    // Steps 1-3: bootstrap values, GAE, returns, normalisation.
    criticNet.transpose(p);
    criticNet.forward(t, b.nextStates(), p, cNextOut);
    Gae.compute(t, b.rewards(), b.values(), vNext, b.dones(), (float) hp.gamma(), (float) hp.gaeLambda(), adv, ret);
    double explainedVariance = Gae.explainedVariance(t, ret, b.values());
    if (hp.normalizeAdvantages()) Gae.normalize(t, adv);

    int mb = hp.minibatchFor(t);
    for (int i = 0; i < t; i++) order[i] = i;
    SplittableRandom shuffler = shuffler(hp, adam.step());
    double sPol = 0, sVal = 0, sEnt = 0, sKl = 0, sClip = 0, sNorm = 0;
    int steps = 0, skipped = 0;
    for (int epoch = 0; epoch < hp.epochs(); epoch++) {
      if (shuffler != null) shuffle(order, t, shuffler);
      for (int start = 0; start < t; start += mb) {
        int n = Math.min(mb, t - start);
        gather(b, start, n);
        StepStats s = step(p, adam, n, hp);
        if (observer != null) observer.step(s);
        steps++;
        if (s.skipped()) {
          skipped++;
          continue;
        }
        sPol += s.policyLoss(); sVal += s.valueLoss(); sEnt += s.entropy();
        sKl += s.approxKl(); sClip += s.clipFraction(); sNorm += s.gradNorm();
      }
    }
    int done = Math.max(1, steps - skipped);
    double[] std = new double[ACTION_DIM];
    for (int d = 0; d < ACTION_DIM; d++) std[d] = Math.exp(p[l.logStd.offset() + d]);
    return new UpdateMetrics(sPol / done, sVal / done, sEnt / done, sKl / done, sClip / done,
        explainedVariance, std, sNorm / done, steps, skipped, t);
  }

  /**
   * Seed of the minibatch shuffle, mixed with Adam's step count so that each update draws new orders
   * while a rerun (or another backend) draws the same ones. Any fixed value would do; changing it
   * changes every shuffled run's numbers.
   */
  private static final long SHUFFLE_SEED = 0x5DEECE66DL;

  /**
   * The seeded source of the minibatch shuffle (null when not shuffling); each epoch shuffles the
   * previous epoch's order further with {@link #shuffle}. Public so the CUDA backend draws the same orders.
   */
  public static SplittableRandom shuffler(Hyperparameters hp, long adamStep) {
    return hp.shuffleMinibatches() ? new SplittableRandom(SHUFFLE_SEED ^ adamStep) : null;
  }

  public static void shuffle(int[] a, int n, SplittableRandom r) {
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int x = a[i]; a[i] = a[j]; a[j] = x;
    }
  }

  private void gather(RolloutBatch b, int start, int n) {
    for (int i = 0; i < n; i++) {
      int r = order[start + i];
      System.arraycopy(b.states(), r * STATE_DIM, mbS, i * STATE_DIM, STATE_DIM);
      System.arraycopy(b.actions(), r * ACTION_DIM, mbA, i * ACTION_DIM, ACTION_DIM);
      mbLogpOld[i] = b.logProbs()[r];
      mbAdv[i] = adv[r];
      mbRet[i] = ret[r];
    }
  }

  /** One optimisation step on the gathered minibatch of n rows (steps 5-10). */
  private StepStats step(float[] p, AdamState adam, int n, Hyperparameters hp) {
    StepStats stats = lossAndGradient(p, n, hp);
    if (stats.skipped()) return stats;
    double coef = hp.maxGradNorm() / (stats.gradNorm() + 1e-6);
    if (coef < 1.0) {
      float c = (float) coef;
      for (int i = 0; i < grad.length; i++) grad[i] *= c;
    }
    Adam.step(p, grad, adam, hp.learningRate(), hp.adamEps());
    int ls = layout.logStd.offset();
    for (int d = 0; d < ACTION_DIM; d++) p[ls + d] = Math.min(Math.max(p[ls + d], LOG_STD_MIN), LOG_STD_MAX);
    return stats;
  }

  /** Loss of the gathered minibatch (step 5) and its exact gradient into {@code grad} (step 6). */
  private StepStats lossAndGradient(float[] p, int n, Hyperparameters hp) {
    ParamLayout l = layout;
    actorNet.transpose(p);
    criticNet.transpose(p);
    actorNet.forward(n, mbS, p, aOut);
    criticNet.forward(n, mbS, p, cOut);

    float eps = (float) hp.clipEpsilon();
    float lo = 1f - eps, hi = 1f + eps;
    int ls = l.logStd.offset();
    for (int d = 0; d < ACTION_DIM; d++) {
      float std = (float) Math.exp(p[ls + d]);
      var[d] = std * std;
    }
    Arrays.fill(grad, 0f);
    float invN = 1f / n;
    double pol = 0, val = 0, kl = 0;
    int clipped = 0;
    float c1 = (float) hp.valueCoef();
    for (int i = 0; i < n; i++) {
      float logp = Gaussian.logProb(mbA, i * ACTION_DIM, amean, i * ACTION_DIM, p, ls, ACTION_DIM);
      float logRatio = logp - mbLogpOld[i];
      float ratio = (float) Math.exp(logRatio);
      float a = mbAdv[i];
      float clampedRatio = Math.min(Math.max(ratio, lo), hi);
      float surr1 = ratio * a, surr2 = clampedRatio * a;
      pol += Math.min(surr1, surr2);
      kl += (ratio - 1f) - logRatio;
      if (Math.abs(ratio - 1f) > eps) clipped++;
      // torch.minimum sends the gradient to the smaller term, half to each on a tie.
      float w1 = surr1 < surr2 ? 1f : surr1 > surr2 ? 0f : 0.5f;
      float clampGrad = ratio >= lo && ratio <= hi ? 1f : 0f;
      float dRatio = -invN * (w1 * a + (1f - w1) * a * clampGrad);
      float dLogp = dRatio * ratio;
      for (int d = 0; d < ACTION_DIM; d++) {
        int k = i * ACTION_DIM + d;
        float diff = mbA[k] - amean[k];
        dmean[k] = dLogp * diff / var[d]; // at the mean; Mlp.backward takes it through the Sigmoid
        grad[ls + d] += dLogp * (diff * diff / var[d] - 1f);
      }
      float e = cv[i] - mbRet[i];
      val += e * e;
      dv[i] = c1 * 2f * e * invN;
    }
    float entropy = Gaussian.entropy(p, ls, ACTION_DIM);
    for (int d = 0; d < ACTION_DIM; d++) grad[ls + d] -= (float) hp.entropyCoef();
    double policyLoss = -pol / n, valueLoss = val / n;
    double loss = policyLoss + hp.valueCoef() * valueLoss - hp.entropyCoef() * entropy;

    actorNet.backward(n, mbS, p, aOut, dmean, aGrad, grad);
    criticNet.backward(n, mbS, p, cOut, dv, cGrad, grad);

    double norm = Math.sqrt(Dense.sumOfSquares(grad));
    return new StepStats(loss, policyLoss, valueLoss, entropy, kl / n, clipped / (double) n, norm,
        !(Double.isFinite(loss) && Double.isFinite(norm)));
  }

  /**
   * For the finite-difference test: the loss of the whole batch as one minibatch with the given
   * advantages and returns, and its gradient copied into {@code gradOut}.
   */
  double lossAndGradientForTest(PolicyParams params, RolloutBatch b, float[] advantages, float[] returns,
                                Hyperparameters hp, float[] gradOut) {
    int t = b.size();
    ensure(params.layout(), t);
    System.arraycopy(advantages, 0, adv, 0, t);
    System.arraycopy(returns, 0, ret, 0, t);
    for (int i = 0; i < t; i++) order[i] = i;
    gather(b, 0, t);
    StepStats s = lossAndGradient(params.data(), t, hp);
    System.arraycopy(grad, 0, gradOut, 0, grad.length);
    return s.loss();
  }
}
