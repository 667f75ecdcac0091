package dev.edgeppo.ppo;

import static dev.edgeppo.ppo.ParamLayout.ACTION_DIM;
import static dev.edgeppo.ppo.ParamLayout.STATE_DIM;

import java.util.random.RandomGenerator;

/**
 * An immutable copy of the parameters that serves actions while the learner trains on another copy;
 * swapped whole when an update ends. Safe to share between request threads.
 */
public final class Policy {
  private final ParamLayout layout;
  private final float[] p;
  private final long version;

  /** What the policy decided for one state. {@code action} is unclipped, as stored for training. */
  public record Decision(float[] action, float[] mean, float logProb, float value) {}

  public Policy(PolicyParams params, long version) {
    this.layout = params.layout();
    this.p = params.data().clone();
    this.version = version;
  }

  public long version() { return version; }
  public ParamLayout layout() { return layout; }
  public PolicyParams params() { return new PolicyParams(layout, p.clone()); }

  /** Samples a ~ N(mean(s), std) when {@code sample}, else takes the mean; log-prob and V(s) of that action. */
  public Decision act(float[] state, boolean sample, RandomGenerator rng) {
    if (state.length != STATE_DIM) throw new IllegalArgumentException("state must have " + STATE_DIM + " values");
    float[] mean = mean(state);
    float[] a = new float[ACTION_DIM];
    int ls = layout.logStd.offset();
    for (int d = 0; d < ACTION_DIM; d++) {
      float std = (float) Math.exp(p[ls + d]);
      a[d] = sample ? mean[d] + std * (float) rng.nextGaussian() : mean[d];
    }
    float logp = Gaussian.logProb(a, 0, mean, 0, p, ls, ACTION_DIM);
    return new Decision(a, mean, logp, value(state));
  }

  public float[] mean(float[] s) {
    int h = layout.hidden();
    float[] h1 = layer(s, STATE_DIM, h, layout.actor0W.offset(), layout.actor0B.offset(), true);
    float[] h2 = layer(h1, h, h, layout.actor2W.offset(), layout.actor2B.offset(), true);
    float[] z = layer(h2, h, ACTION_DIM, layout.actor4W.offset(), layout.actor4B.offset(), false);
    for (int d = 0; d < ACTION_DIM; d++) z[d] = 1f / (1f + (float) Math.exp(-z[d]));
    return z;
  }

  public float value(float[] s) {
    int h = layout.hidden();
    float[] h1 = layer(s, STATE_DIM, h, layout.critic0W.offset(), layout.critic0B.offset(), true);
    float[] h2 = layer(h1, h, h, layout.critic2W.offset(), layout.critic2B.offset(), true);
    return layer(h2, h, 1, layout.critic4W.offset(), layout.critic4B.offset(), false)[0];
  }

  private float[] layer(float[] x, int in, int out, int wOff, int bOff, boolean relu) {
    float[] y = new float[out];
    for (int o = 0; o < out; o++) {
      float acc = p[bOff + o];
      int r = wOff + o * in;
      for (int k = 0; k < in; k++) acc += p[r + k] * x[k];
      y[o] = relu && acc < 0f ? 0f : acc;
    }
    return y;
  }

  public float[] std() {
    float[] s = new float[ACTION_DIM];
    for (int d = 0; d < ACTION_DIM; d++) s[d] = (float) Math.exp(p[layout.logStd.offset() + d]);
    return s;
  }
}
