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
  private float[] ah1, ah2, amean, ch1, ch2, cv;
  private float[] dmean, dh2, dh1, dv;
  // transposed weights for the forward pass
  private float[] a0t, a2t, a4t, c0t, c2t, c4t;
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
    int h = l.hidden();
    layout = l;
    rows = Math.max(t, rows);
    vNext = new float[rows]; adv = new float[rows]; ret = new float[rows];
    order = new int[rows];
    mbS = new float[rows * STATE_DIM]; mbA = new float[rows * ACTION_DIM];
    mbLogpOld = new float[rows]; mbAdv = new float[rows]; mbRet = new float[rows];
    ah1 = new float[rows * h]; ah2 = new float[rows * h]; amean = new float[rows * ACTION_DIM];
    ch1 = new float[rows * h]; ch2 = new float[rows * h]; cv = new float[rows];
    dmean = new float[rows * ACTION_DIM]; dh2 = new float[rows * h]; dh1 = new float[rows * h]; dv = new float[rows];
    a0t = new float[STATE_DIM * h]; a2t = new float[h * h]; a4t = new float[h * ACTION_DIM];
    c0t = new float[STATE_DIM * h]; c2t = new float[h * h]; c4t = new float[h];
    grad = new float[l.size()];
  }

  @Override
  public UpdateMetrics update(PolicyParams params, AdamState adam, RolloutBatch b, Hyperparameters hp) {
    ParamLayout l = params.layout();
    int t = b.size();
    ensure(l, t);
    float[] p = params.data();

    // Steps 1-3: bootstrap values, GAE, returns, normalisation.
    transposeCritic(p);
    critic(t, b.nextStates(), vNext, p);
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
   * The seeded source of the minibatch shuffle (null when not shuffling); each epoch shuffles the
   * previous epoch's order further with {@link #shuffle}. Public so the CUDA backend draws the same orders.
   */
  public static SplittableRandom shuffler(Hyperparameters hp, long adamStep) {
    return hp.shuffleMinibatches() ? new SplittableRandom(0x5DEECE66DL ^ adamStep) : null;
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
    transposeActor(p);
    transposeCritic(p);
    actor(n, mbS, p);
    critic(n, mbS, cv, p);

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
        float m = amean[k];
        dmean[k] = dLogp * diff / var[d] * m * (1f - m); // through the sigmoid
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

    actorBackward(n, p);
    criticBackward(n, p);

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

  private void transposeActor(float[] p) {
    int h = layout.hidden();
    Dense.transpose(p, layout.actor0W.offset(), h, STATE_DIM, a0t);
    Dense.transpose(p, layout.actor2W.offset(), h, h, a2t);
    // Heads narrower than a vector are read untransposed by Dense.forward.
    if (ACTION_DIM >= Dense.L) Dense.transpose(p, layout.actor4W.offset(), ACTION_DIM, h, a4t);
  }

  private void transposeCritic(float[] p) {
    int h = layout.hidden();
    Dense.transpose(p, layout.critic0W.offset(), h, STATE_DIM, c0t);
    Dense.transpose(p, layout.critic2W.offset(), h, h, c2t);
    if (1 >= Dense.L) Dense.transpose(p, layout.critic4W.offset(), 1, h, c4t);
  }

  /** mean = sigmoid(W4 relu(W2 relu(W0 s + b0) + b2) + b4) into amean; activations kept for backward. */
  private void actor(int n, float[] s, float[] p) {
    int h = layout.hidden();
    Dense.forward(n, STATE_DIM, h, s, 0, a0t, p, layout.actor0W.offset(), layout.actor0B.offset(), ah1);
    Dense.relu(ah1, n * h);
    Dense.forward(n, h, h, ah1, 0, a2t, p, layout.actor2W.offset(), layout.actor2B.offset(), ah2);
    Dense.relu(ah2, n * h);
    Dense.forward(n, h, ACTION_DIM, ah2, 0, a4t, p, layout.actor4W.offset(), layout.actor4B.offset(), amean);
    for (int i = 0; i < n * ACTION_DIM; i++) amean[i] = 1f / (1f + (float) Math.exp(-amean[i]));
  }

  private void critic(int n, float[] s, float[] v, float[] p) {
    int h = layout.hidden();
    Dense.forward(n, STATE_DIM, h, s, 0, c0t, p, layout.critic0W.offset(), layout.critic0B.offset(), ch1);
    Dense.relu(ch1, n * h);
    Dense.forward(n, h, h, ch1, 0, c2t, p, layout.critic2W.offset(), layout.critic2B.offset(), ch2);
    Dense.relu(ch2, n * h);
    Dense.forward(n, h, 1, ch2, 0, c4t, p, layout.critic4W.offset(), layout.critic4B.offset(), v);
  }

  private void actorBackward(int n, float[] p) {
    ParamLayout l = layout;
    int h = l.hidden();
    Dense.backward(n, h, ACTION_DIM, ah2, 0, dmean, p, l.actor4W.offset(), grad, l.actor4W.offset(), l.actor4B.offset(), dh2);
    Dense.reluBackward(ah2, dh2, n * h);
    Dense.backward(n, h, h, ah1, 0, dh2, p, l.actor2W.offset(), grad, l.actor2W.offset(), l.actor2B.offset(), dh1);
    Dense.reluBackward(ah1, dh1, n * h);
    Dense.backward(n, STATE_DIM, h, mbS, 0, dh1, p, l.actor0W.offset(), grad, l.actor0W.offset(), l.actor0B.offset(), null);
  }

  private void criticBackward(int n, float[] p) {
    ParamLayout l = layout;
    int h = l.hidden();
    Dense.backward(n, h, 1, ch2, 0, dv, p, l.critic4W.offset(), grad, l.critic4W.offset(), l.critic4B.offset(), dh2);
    Dense.reluBackward(ch2, dh2, n * h);
    Dense.backward(n, h, h, ch1, 0, dh2, p, l.critic2W.offset(), grad, l.critic2W.offset(), l.critic2B.offset(), dh1);
    Dense.reluBackward(ch1, dh1, n * h);
    Dense.backward(n, STATE_DIM, h, mbS, 0, dh1, p, l.critic0W.offset(), grad, l.critic0W.offset(), l.critic0B.offset(), null);
  }
}
