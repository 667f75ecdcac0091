package dev.edgeppo.fleet;

/**
 * A learner of a few floats for the fleet's tests: {@link #train} adds a vector and counts an update, as a
 * PPO update would move the parameters; every parameter is "actor" (the fleet step applies to all).
 */
final class ArrayLearner implements FleetLearner {
  static final int BATCH = 32;
  private float[] params;
  private long updates;
  private final boolean learns;
  int shifts;

  ArrayLearner(float... params) { this(true, params); }

  ArrayLearner(boolean learns, float... params) {
    this.params = params.clone();
    this.learns = learns;
  }

  synchronized void train(float... by) {
    for (int i = 0; i < params.length; i++) params[i] += by[i];
    updates++;
  }

  synchronized float[] params() { return params.clone(); }

  @Override public synchronized Learned learned() { return new Learned(params.clone(), updates); }
  @Override public int batchSize() { return BATCH; }
  @Override public int hidden() { return 1; }
  @Override public java.util.List<int[]> steppedTensors() { return java.util.List.of(new int[] {0, params.length}); }
  @Override public String actionMapping() { return "relative"; }
  @Override public boolean learns() { return learns; }

  @Override
  public synchronized void shift(float[] delta) {
    for (int i = 0; i < params.length; i++) params[i] += delta[i];
    shifts++;
  }
}
