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
  /** Transposed once here and only read afterwards, so request threads share them. */
  private final Mlp actor, critic;

  /** What the policy decided for one state. {@code action} is unclipped, as stored for training. */
  public record Decision(float[] action, float[] mean, float logProb, float value) {}

  public Policy(PolicyParams params, long version) {
    this.layout = params.layout();
    this.p = params.data().clone();
    this.version = version;
    actor = new Mlp(layout.actor());
    critic = new Mlp(layout.critic());
    actor.transpose(p);
    critic.transpose(p);
  }

  /** How the forward pass runs in this JVM: "vector (...)" with the incubator module, "scalar" without (Dense). */
  public static String forwardPath() { return Dense.path(); }

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

  /** The actor's output for one state: the mean of each action dimension. */
  public float[] mean(float[] s) {
    return forward(actor, s).clone();
  }

  /** The critic's V(s). */
  public float value(float[] s) {
    return forward(critic, s)[0];
  }

  /** The network's output for one state, in a buffer the thread's next call may reuse. */
  private float[] forward(Mlp net, float[] s) {
    float[][] out = buffers(net);
    net.forward(1, s, p, out);
    return out[out.length - 1];
  }

  /**
   * One state's layer outputs, kept per platform thread and reused: the HTTP event loops answer every /allocate,
   * and fresh buffers were about 1 KB of each request's 5 KB of garbage on the router's path (docs/performance.md
   * "Latency of /allocate"). Virtual threads, one per request, would only fill the map: they allocate.
   */
  private record Scratch(ParamLayout layout, float[][] actor, float[][] critic) {}

  private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();

  private float[][] buffers(Mlp net) {
    if (Thread.currentThread().isVirtual()) return net.buffers(1);
    Scratch s = SCRATCH.get();
    if (s == null || s.layout() != layout) SCRATCH.set(s = new Scratch(layout, actor.buffers(1), critic.buffers(1)));
    return net == actor ? s.actor() : s.critic();
  }

  public float[] std() {
    float[] s = new float[ACTION_DIM];
    for (int d = 0; d < ACTION_DIM; d++) s[d] = (float) Math.exp(p[layout.logStd.offset() + d]);
    return s;
  }
}
