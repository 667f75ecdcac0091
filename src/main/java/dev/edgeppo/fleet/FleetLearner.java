package dev.edgeppo.fleet;

/**
 * What the fleet needs of an agent's learner, so that the fleet code is the same under {@code serve} and
 * in the simulator: a consistent copy of what it has learned, and a way to move it that cannot lose an
 * update running at the same time ({@link #shift}).
 */
public interface FleetLearner {
  /** The parameters and the update count they belong to, read together. */
  record Learned(float[] params, long updates) {}

  Learned learned();

  /** Experiences one update adds (the batch size): experience = updates × this. */
  int batchSize();

  int hidden();

  /** Where the critic's parameters start in the flat array (the actor's and log_std come first, ParamLayout). */
  default int criticOffset() { return dev.edgeppo.ppo.ParamLayout.of(hidden()).critic().getFirst().weight().offset(); }

  String actionMapping();

  /** True when the agent learns (train mode) and so has something to share; an infer-mode agent only reads. */
  boolean learns();

  /**
   * Adds {@code delta} to the parameters, between two updates (never during one), and makes the result the
   * serving policy. A delta rather than new parameters: an update that ran since {@link #learned} is kept.
   */
  void shift(float[] delta);
}
