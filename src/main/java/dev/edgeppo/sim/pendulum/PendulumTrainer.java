package dev.edgeppo.sim.pendulum;

import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.ParamLayout;
import dev.edgeppo.ppo.Policy;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.ppo.RolloutBatch;
import dev.edgeppo.ppo.UpdateBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Trains the agent's learner on {@link Pendulum} with several environments: each rollout collects
 * {@code envs × steps} transitions with the current policy and makes them one batch (batch_size) for one
 * update (epochs and minibatches from the hyperparameters).
 *
 * <p>The batch is laid out env by env, and SPEC's GAE runs over it as one sequence, cut only by dones.
 * Where a stretch stops without the episode having ended (the time limit, or the rollout's end) the value
 * of what comes next still counts: that transition is stored as done with γ·V(s') added to its reward,
 * which gives the same δ as bootstrapping and keeps GAE from running into the next env's stretch.
 */
public final class PendulumTrainer {
  public record Point(long steps, double meanReturn, int episodes) {}

  public record Evaluation(double mean, double std, int episodes) {}

  private final Hyperparameters hp;
  private final int envs, stepsPerEnv;
  private final long seed;

  public PendulumTrainer(Hyperparameters hp, int envs, int stepsPerEnv, long seed) {
    if (envs < 1 || stepsPerEnv < 1) throw new IllegalArgumentException("envs and steps per env must be >= 1");
    if (hp.batchSize() != envs * stepsPerEnv)
      throw new IllegalArgumentException("batch_size " + hp.batchSize() + " must equal envs × steps = " + envs * stepsPerEnv);
    this.hp = hp;
    this.envs = envs;
    this.stepsPerEnv = stepsPerEnv;
    this.seed = seed;
  }

  public interface Listener {
    void rollout(Point p);
  }

  /** Trains for at least {@code totalSteps} environment steps; returns the learner (the caller closes it). */
  public PpoLearner train(UpdateBackend backend, long totalSteps, Listener listener) {
    PpoLearner learner = PpoLearner.fresh(hp, backend, seed);
    SplittableRandom rng = new SplittableRandom(seed ^ 0x9E11D);
    Pendulum[] env = new Pendulum[envs];
    double[] running = new double[envs];
    for (int e = 0; e < envs; e++) {
      env[e] = new Pendulum();
      env[e].reset(rng);
    }
    int sd = ParamLayout.STATE_DIM, ad = ParamLayout.ACTION_DIM, t = envs * stepsPerEnv;
    long steps = 0;
    while (steps < totalSteps) {
      Policy policy = learner.policy();
      RolloutBatch b = RolloutBatch.allocate(t);
      List<Double> finished = new ArrayList<>();
      for (int e = 0; e < envs; e++) {
        for (int s = 0; s < stepsPerEnv; s++) {
          int i = e * stepsPerEnv + s;
          float[] state = env[e].state();
          Policy.Decision d = policy.act(state, true, rng);
          double r = env[e].step(Pendulum.torque(d.action()));
          running[e] += r;
          float[] next = env[e].state();
          boolean cut = env[e].truncated() || s == stepsPerEnv - 1;
          System.arraycopy(state, 0, b.states(), i * sd, sd);
          System.arraycopy(d.action(), 0, b.actions(), i * ad, ad);
          System.arraycopy(next, 0, b.nextStates(), i * sd, sd);
          b.logProbs()[i] = d.logProb();
          b.values()[i] = d.value();
          // Pendulum never terminates: every cut is a truncation, bootstrapped through the reward.
          b.rewards()[i] = (float) (cut ? r + hp.gamma() * policy.value(next) : r);
          b.dones()[i] = cut ? 1f : 0f;
          if (env[e].truncated()) {
            finished.add(running[e]);
            running[e] = 0;
            env[e].reset(rng);
          }
        }
      }
      steps += t;
      learner.update(new RolloutBatch(t, b.states(), b.actions(), b.logProbs(), b.values(), b.rewards(), b.nextStates(), b.dones()));
      double mean = finished.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
      listener.rollout(new Point(steps, mean, finished.size()));
    }
    return learner;
  }

  /** Returns of {@code episodes} whole episodes with the mean action (infer mode), from seeded starts. */
  public static Evaluation evaluate(Policy policy, int episodes, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] ret = new double[episodes];
    Pendulum env = new Pendulum();
    for (int k = 0; k < episodes; k++) {
      env.reset(rng);
      while (!env.truncated()) ret[k] += env.step(Pendulum.torque(policy.act(env.state(), false, rng).action()));
    }
    double m = 0, v = 0;
    for (double r : ret) m += r;
    m /= episodes;
    for (double r : ret) v += (r - m) * (r - m);
    return new Evaluation(m, Math.sqrt(v / episodes), episodes);
  }
}
