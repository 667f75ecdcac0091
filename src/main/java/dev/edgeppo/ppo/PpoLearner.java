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
    PolicyParams p = PolicyParams.initialise(hp.hidden(), hp.initialStd(), seed);
    return new PpoLearner(hp, backend, p, new AdamState(p.layout()), 0);
  }

  public UpdateMetrics update(RolloutBatch batch) {
    synchronized (updating) { // one update at a time; readers never take this lock
      UpdateMetrics m = backend.update(params, adam, batch, hp);
      lastMetrics = m;
      publish(published.updates() + 1);
      return m;
    }
  }

  private void publish(long updates) {
    published = new Snapshot(params.copy(), adam.copy(), updates);
    policy = new Policy(params, updates);
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
