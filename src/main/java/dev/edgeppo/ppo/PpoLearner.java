package dev.edgeppo.ppo;

import java.util.Objects;

/**
 * Owns what is learned (parameters, Adam state, counters) and runs updates on a backend. After each update
 * it publishes an immutable {@link Snapshot} and a serving {@link Policy}, each replaced whole, so readers
 * (requests, /metrics, /v1/policy, the checkpoint writer at shutdown) never see a half-updated network and
 * never wait for a running update. {@link #update} is called by one thread at a time (the trainer).
 */
public final class PpoLearner implements AutoCloseable {
  private final Hyperparameters hp;
  private final UpdateBackend backend;
  /** Mutated by update only; nobody else reads them. */
  private final PolicyParams params;
  private final AdamState adam;
  private final Object updating = new Object();
  private volatile Policy policy;
  private volatile UpdateMetrics lastMetrics;
  private volatile Snapshot published;
  /** The newest experiences already trained on, kept for replay when replay_size > 0 (oldest batch first). */
  private final java.util.ArrayDeque<RolloutBatch> replay = new java.util.ArrayDeque<>();
  private int replayed;
  private volatile long lastUpdateNanos = -1;

  public PpoLearner(Hyperparameters hp, UpdateBackend backend, PolicyParams params, AdamState adam, long updates) {
    this.hp = Objects.requireNonNull(hp);
    this.backend = Objects.requireNonNull(backend);
    this.params = Objects.requireNonNull(params);
    this.adam = Objects.requireNonNull(adam);
    if (params.layout().hidden() != hp.hidden())
      throw new IllegalArgumentException("parameters have H=" + params.layout().hidden() + " but hyperparameters say hidden=" + hp.hidden());
    if (adam.expAvg().length != params.layout().size())
      throw new IllegalArgumentException("Adam state does not match the parameter layout");
    publish(updates);
  }

  /** A fresh learner: SPEC's initialisation from {@code seed}. */
  public static PpoLearner fresh(Hyperparameters hp, UpdateBackend backend, long seed) {
    PolicyParams p = PolicyParams.initialise(hp, seed);
    return new PpoLearner(hp, backend, p, new AdamState(p.layout()), 0);
  }

  /**
   * One update on {@code batch}; with replay_size > 0 on the experiences kept from earlier batches too (up
   * to replay_size of them), each with the log-prob of the policy that acted (PPO's ratio corrects for the
   * policy having moved since, and its clip bounds how far stale data can pull) and V(s) of the critic now
   * (with γ 0 the advantage is r − V(s); a value stored many updates ago would be stale). The kept
   * experiences live in memory only: after a restart replay starts empty.
   */
  public UpdateMetrics update(RolloutBatch batch) {
    synchronized (updating) { // one update at a time; readers never take this lock
      long t0 = System.nanoTime();
      RolloutBatch input = hp.replaySize() == 0 ? batch : withReplay(batch);
      UpdateMetrics m = backend.update(params, adam, input, hp);
      if (hp.replaySize() > 0) keep(batch);
      lastMetrics = m;
      publish(published.updates() + 1);
      lastUpdateNanos = System.nanoTime() - t0;
      return m;
    }
  }

  /**
   * Adds {@code delta} to the parameters between two updates (a fleet merge, SPEC §7) and serves the result; the
   * update count stays. Adam's moments stay too: they are this learner's running estimate of its gradients'
   * scale, which a small move of the parameters does not change (docs/fleet.md). Refused whole, changing
   * nothing, when the result would not be finite.
   */
  public void shift(float[] delta) {
    synchronized (updating) {
      float[] p = params.data();
      if (delta.length != p.length) throw new IllegalArgumentException("delta has " + delta.length + " values, the parameters " + p.length);
      float[] moved = new float[p.length];
      for (int i = 0; i < p.length; i++) {
        moved[i] = p[i] + delta[i];
        if (!Float.isFinite(moved[i])) throw new IllegalArgumentException("shifted parameter " + i + " would not be finite");
      }
      // SPEC §2's guard holds after a merge as after every step: log_std within [ln 0.01, 0].
      int ls = params.layout().logStd.offset();
      for (int d = 0; d < ParamLayout.ACTION_DIM; d++)
        moved[ls + d] = (float) Math.min(Math.max(moved[ls + d], Hyperparameters.LOG_STD_MIN), Hyperparameters.LOG_STD_MAX);
      System.arraycopy(moved, 0, p, 0, p.length);
      publish(published.updates());
    }
  }

  /** Wall time of the last update (the backend's work and publishing its result), ns; -1 before one ran. */
  public long lastUpdateNanos() { return lastUpdateNanos; }

  private void publish(long updates) {
    published = new Snapshot(params.copy(), adam.copy(), updates);
    policy = new Policy(params, updates);
  }

  private RolloutBatch withReplay(RolloutBatch fresh) {
    java.util.List<RolloutBatch> parts = new java.util.ArrayList<>(replay);
    parts.add(fresh);
    RolloutBatch all = RolloutBatch.concat(parts);
    Policy now = policy;
    float[] s = new float[ParamLayout.STATE_DIM];
    for (int i = 0; i < all.size(); i++) {
      System.arraycopy(all.states(), i * ParamLayout.STATE_DIM, s, 0, ParamLayout.STATE_DIM);
      all.values()[i] = now.value(s);
    }
    return all;
  }

  private void keep(RolloutBatch b) {
    replay.addLast(b);
    replayed += b.size();
    while (replayed - replay.peekFirst().size() >= hp.replaySize()) replayed -= replay.removeFirst().size();
  }

  public Policy policy() { return policy; }
  public UpdateMetrics lastMetrics() { return lastMetrics; }
  public Hyperparameters hyperparameters() { return hp; }
  public String backendName() { return backend.name(); }
  /** Updates completed; never waits for one that is running. */
  public long updates() { return published.updates(); }

  /**
   * What the last completed update left (or the initial state): consistent copies of what a checkpoint
   * stores. Never waits for a running update. Callers must not modify the arrays.
   */
  public Snapshot snapshot() { return published; }

  public record Snapshot(PolicyParams params, AdamState adam, long updates) {}

  @Override
  public void close() { backend.close(); }
}
