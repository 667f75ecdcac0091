package dev.edgeppo.fleet;

/**
 * What the fleet needs of an agent's learner, so that the fleet code is the same under {@code serve} and
 * in the simulator: a consistent copy of what it has learned, and a way to move it that cannot lose an
 * update running at the same time ({@link #shift}).
 */
public interface FleetLearner {
  /**
   * The parameters and the update count they belong to, read together.
   *
   * @param updates    every update (a new count means something new to share)
   * @param ownUpdates the updates on this agent's own experiences: its weight in a merge counts these only, since
   *                   what it learned from peers' experiences is theirs to count
   */
  record Learned(float[] params, long updates, long ownUpdates) {
    public Learned(float[] params, long updates) { this(params, updates, updates); }
  }

  Learned learned();

  /** Experiences one update adds (the batch size): experience = updates × this. */
  int batchSize();

  int hidden();

  /**
   * The ranges [from, to) of the flat array that the fleet step moves, one per tensor: the actor's weights and
   * biases (log_std and the critic are averaged only; docs/fleet.md says why).
   */
  default java.util.List<int[]> steppedTensors() {
    dev.edgeppo.ppo.ParamLayout l = dev.edgeppo.ppo.ParamLayout.of(hidden());
    java.util.List<int[]> out = new java.util.ArrayList<>();
    for (dev.edgeppo.ppo.ParamLayout.Layer layer : l.actor())
      for (dev.edgeppo.ppo.ParamLayout.Tensor t : java.util.List.of(layer.weight(), layer.bias())) out.add(new int[] {t.offset(), t.offset() + t.size()});
    return out;
  }

  String actionMapping();

  /** True when the agent learns (train mode) and so has something to share; an infer-mode agent only reads. */
  boolean learns();

  /**
   * Adds {@code delta} to the parameters, between two updates (never during one), and makes the result the
   * serving policy. A delta rather than new parameters: an update that ran since {@link #learned} is kept.
   */
  void shift(float[] delta);

  // ---- experience sharing (docs/fleet.md, "Experience"): only for a learner whose experiences are episodes of their own (γ 0)

  /** True when this learner shares its experiences and trains on its peers'. */
  default boolean sharesExperience() { return false; }

  /** Its newest own experiences, increasing seqs, at most {@value FleetNames#SHARED_EXPERIENCES}. */
  default java.util.List<SharedExperience> recentExperiences() { return java.util.List.of(); }

  /** V(s) of its critic now: with γ 0 the reward it expects in state s (the fleet's test of a peer's data). */
  default double value(float[] state) { throw new UnsupportedOperationException("this learner shares no experience"); }

  /** Trains on peers' experiences in batches like its own, between its own updates (never during one). */
  default void trainOnPeers(java.util.List<SharedExperience> experiences) {
    throw new UnsupportedOperationException("this learner shares no experience");
  }
}
