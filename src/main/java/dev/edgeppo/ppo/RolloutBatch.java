package dev.edgeppo.ppo;

import static dev.edgeppo.ppo.ParamLayout.ACTION_DIM;
import static dev.edgeppo.ppo.ParamLayout.STATE_DIM;

/**
 * T experiences in time order, as flat row-major arrays: states [T][5], actions [T][2] (unclipped, as
 * sampled), log_probs and values as stored when the action was taken, rewards, next_states [T][5], dones.
 */
public record RolloutBatch(int size, float[] states, float[] actions, float[] logProbs, float[] values,
                           float[] rewards, float[] nextStates, float[] dones) {
  public RolloutBatch {
    if (size < 1) throw new IllegalArgumentException("a batch needs at least one experience");
    check("states", states, size * STATE_DIM);
    check("actions", actions, size * ACTION_DIM);
    check("log_probs", logProbs, size);
    check("values", values, size);
    check("rewards", rewards, size);
    check("next_states", nextStates, size * STATE_DIM);
    check("dones", dones, size);
    for (float d : dones)
      if (d != 0f && d != 1f) throw new IllegalArgumentException("dones must be 0 or 1, got " + d);
  }

  private static void check(String name, float[] a, int n) {
    if (a == null) throw new IllegalArgumentException(name + " is missing");
    if (a.length != n) throw new IllegalArgumentException(name + " has " + a.length + " floats, expected " + n);
    for (float v : a) if (!Float.isFinite(v)) throw new IllegalArgumentException(name + " holds a non-finite value");
  }

  /** The batches one after another, in the order given. */
  public static RolloutBatch concat(java.util.List<RolloutBatch> parts) {
    int t = 0;
    for (RolloutBatch b : parts) t += b.size();
    RolloutBatch out = allocate(t);
    int at = 0;
    for (RolloutBatch b : parts) {
      int n = b.size();
      System.arraycopy(b.states, 0, out.states, at * STATE_DIM, n * STATE_DIM);
      System.arraycopy(b.actions, 0, out.actions, at * ACTION_DIM, n * ACTION_DIM);
      System.arraycopy(b.logProbs, 0, out.logProbs, at, n);
      System.arraycopy(b.values, 0, out.values, at, n);
      System.arraycopy(b.rewards, 0, out.rewards, at, n);
      System.arraycopy(b.nextStates, 0, out.nextStates, at * STATE_DIM, n * STATE_DIM);
      System.arraycopy(b.dones, 0, out.dones, at, n);
      at += n;
    }
    return out;
  }

  public static RolloutBatch allocate(int t) {
    return new RolloutBatch(t, new float[t * STATE_DIM], new float[t * ACTION_DIM], new float[t], new float[t],
        new float[t], new float[t * STATE_DIM], new float[t]);
  }
}
