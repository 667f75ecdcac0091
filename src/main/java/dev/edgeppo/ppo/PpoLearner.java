package dev.edgeppo.ppo;

import java.util.Objects;

/**
 * Owns what is learned (parameters, Adam state, counters) and runs updates on a backend. The serving
 * {@link Policy} is a separate immutable copy, replaced whole after each update, so readers never see
 * a half-updated network. {@link #update} is called by one thread at a time (the trainer).
 */
public final class PpoLearner implements AutoCloseable {
  private final Hyperparameters hp;
  private final UpdateBackend backend;
  private final PolicyParams params;
  private final AdamState adam;
  private volatile Policy policy;
  private volatile UpdateMetrics lastMetrics;
  private volatile long lastUpdateNanos = -1;
  private long updates;

  public PpoLearner(Hyperparameters hp, UpdateBackend backend, PolicyParams params, AdamState adam, long updates) {
    this.hp = Objects.requireNonNull(hp);
    this.backend = Objects.requireNonNull(backend);
    this.params = Objects.requireNonNull(params);
    this.adam = Objects.requireNonNull(adam);
    if (params.layout().hidden() != hp.hidden())
      throw new IllegalArgumentException("parameters have H=" + params.layout().hidden() + " but hyperparameters say hidden=" + hp.hidden());
    if (adam.expAvg().length != params.layout().size())
      throw new IllegalArgumentException("Adam state does not match the parameter layout");
    this.updates = updates;
    this.policy = new Policy(params, updates);
  }

  /** A fresh learner: SPEC's initialisation from {@code seed}. */
  public static PpoLearner fresh(Hyperparameters hp, UpdateBackend backend, long seed) {
    PolicyParams p = PolicyParams.initialise(hp.hidden(), hp.initialStd(), seed);
    return new PpoLearner(hp, backend, p, new AdamState(p.layout()), 0);
  }

  public synchronized UpdateMetrics update(RolloutBatch batch) {
    long t0 = System.nanoTime();
    UpdateMetrics m = backend.update(params, adam, batch, hp);
    updates++;
    lastMetrics = m;
    policy = new Policy(params, updates);
    lastUpdateNanos = System.nanoTime() - t0;
    return m;
  }

  /** Wall time of the last update (the backend's work and the swap of the serving policy), ns; -1 before one ran. */
  public long lastUpdateNanos() { return lastUpdateNanos; }

  public Policy policy() { return policy; }
  public UpdateMetrics lastMetrics() { return lastMetrics; }
  public Hyperparameters hyperparameters() { return hp; }
  public String backendName() { return backend.name(); }
  public synchronized long updates() { return updates; }

  /** Consistent copies of what a checkpoint stores. */
  public synchronized Snapshot snapshot() {
    return new Snapshot(params.copy(), adam.copy(), updates);
  }

  public record Snapshot(PolicyParams params, AdamState adam, long updates) {}

  @Override
  public void close() { backend.close(); }
}
