package dev.edgeppo.fleet;

/**
 * A learner of a few floats for the fleet's tests: {@link #train} adds a vector and counts an update, as a
 * PPO update would move the parameters; every parameter is "actor" (the fleet step applies to all). Made
 * {@link #sharing()}, it shares the experiences {@link #experience} gave it, its critic expects a reward of
 * state[0] in every state, and it records the peers' experiences it is handed to train on.
 */
final class ArrayLearner implements FleetLearner {
  static final int BATCH = 32;
  private float[] params;
  private long updates;
  private final boolean learns;
  int shifts;
  private boolean shares;
  private final java.util.List<SharedExperience> own = new java.util.ArrayList<>();
  final java.util.List<SharedExperience> trainedOn = new java.util.ArrayList<>();
  private long nextSeq;

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

  synchronized ArrayLearner sharing() {
    shares = true;
    return this;
  }

  /** {@code n} own experiences in states s[0] = x, whose rewards are x + offset (± noise alternating): x = 0.1, 0.2, ... */
  synchronized void experience(int n, double offset, double noise) {
    for (int i = 0; i < n; i++) {
      float x = 0.1f * (1 + own.size() % 10);
      float r = (float) (x + offset + (own.size() % 2 == 0 ? noise : -noise));
      own.add(new SharedExperience(nextSeq++, new float[] {x, 0, 0, 0, 0}, new float[] {0.5f, 0.5f}, -1, r));
    }
  }

  synchronized ArrayLearner seqsFrom(long first) {
    nextSeq = first;
    return this;
  }

  /** Seqs start over, as after a lost journal. */
  synchronized void restartSeqs() { nextSeq = 0; own.clear(); }

  synchronized java.util.List<Long> trainedSeqs(java.util.function.Predicate<SharedExperience> which) {
    return trainedOn.stream().filter(which).map(SharedExperience::seq).sorted().toList();
  }

  @Override public synchronized boolean sharesExperience() { return shares; }

  @Override
  public synchronized java.util.List<SharedExperience> recentExperiences() {
    return java.util.List.copyOf(own.subList(Math.max(0, own.size() - FleetNames.SHARED_EXPERIENCES), own.size()));
  }

  @Override public double value(float[] state) { return state[0]; }

  @Override
  public synchronized void trainOnPeers(java.util.List<SharedExperience> es) { trainedOn.addAll(es); }

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
