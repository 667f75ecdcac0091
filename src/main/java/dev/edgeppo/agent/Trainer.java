package dev.edgeppo.agent;

import dev.edgeppo.ppo.ParamLayout;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.ppo.RolloutBatch;
import dev.edgeppo.ppo.UpdateMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The one thread that trains: while full batches wait in the buffer, it runs an update on each and hands
 * the learner's snapshot to {@link Durability#updated} (checkpoint, compact). Owns nothing else. Inline
 * mode runs the same loop on the caller's thread (deterministic, for the simulator).
 */
final class Trainer {
  private final ExperienceBuffer buffer;
  private final PpoLearner learner;
  private final Durability durability;
  private final ExecutorService thread;
  private final Object lock = new Object();
  private boolean training;
  private volatile boolean stopping;
  private final AtomicLong failedUpdates = new AtomicLong();
  private final AtomicLong failedCheckpoints = new AtomicLong();
  private volatile Consumer<UpdateMetrics> updateObserver = m -> {};
  private volatile Consumer<Throwable> failureObserver = t -> {};
  /** The last seq of the last batch trained in this process; -1 before one. Read and written on the trainer only. */
  private long trainedThrough = -1;
  /** Peers' experiences waiting to be trained on (a fleet's, SPEC §7), oldest first; guarded by {@link #lock}. */
  private final java.util.ArrayDeque<Experience> peerQueue = new java.util.ArrayDeque<>();
  private final AtomicLong ownUpdates = new AtomicLong(), peerUpdates = new AtomicLong(), peerDropped = new AtomicLong();
  /**
   * At most this many peer experiences wait: a trainer that cannot keep up (a slow CPU, a long update) drops the
   * oldest rather than growing without bound. Four fleet rounds' worth (docs/fleet.md, "Experience").
   */
  static final int PEER_QUEUE = 1024;

  Trainer(ExperienceBuffer buffer, PpoLearner learner, Durability durability, boolean inline) {
    this.buffer = buffer;
    this.learner = learner;
    this.durability = durability;
    int nice = ThreadPriority.trainerNice();
    this.thread = inline ? null : Executors.newSingleThreadExecutor(r -> {
      // Below the request threads (ThreadPriority: on 2 cores an update otherwise holds a core a request waits for).
      Thread t = new Thread(() -> {
        if (nice > 0) ThreadPriority.lowerCurrentThreadBy(nice);
        r.run();
      }, "edgeppo-trainer");
      // Daemon: an update abandoned at the shutdown deadline must not keep the process alive; the journal
      // still holds its batch, so the next start trains it.
      t.setDaemon(true);
      return t;
    });
  }

  void onUpdate(Consumer<UpdateMetrics> o) { this.updateObserver = Objects.requireNonNull(o); }
  void onFailure(Consumer<Throwable> o) { this.failureObserver = Objects.requireNonNull(o); }

  /** Starts the loop when a full batch waits and no update runs; returns whether an update is running. */
  boolean kick() {
    synchronized (lock) {
      if (training) return true;
      if (!buffer.hasBatch()) return false;
      training = true;
    }
    if (thread == null) {
      loop();
      return true;
    }
    try {
      thread.execute(this::loop);
      return true;
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      synchronized (lock) {
        training = false;
        lock.notifyAll();
      }
      return false; // shutting down: the batch stays in the journal for the next start
    }
  }

  private void loop() {
    while (true) {
      List<Experience> batch = buffer.takeBatch();
      if (batch != null) trainOn(batch);
      synchronized (lock) {
        if (stopping || !buffer.hasBatch()) {
          training = false;
          lock.notifyAll();
          return;
        }
      }
    }
  }

  private void trainOn(List<Experience> batch) {
    UpdateMetrics m = update(batch);
    if (m == null) return;
    ownUpdates.incrementAndGet();
    trainedThrough = batch.getLast().seq();
    checkpoint(m);
    updateObserver.accept(m);
  }

  /** One update on {@code batch}; null when it failed (counted and reported, the learner unchanged). */
  private UpdateMetrics update(List<Experience> batch) {
    try {
      return learner.update(toBatch(batch));
    } catch (RuntimeException | Error t) {
      failedUpdates.incrementAndGet();
      failureObserver.accept(t);
      return null;
    }
  }

  private void checkpoint(UpdateMetrics m) {
    try {
      durability.updated(learner.snapshot(), trainedThrough, m);
    } catch (RuntimeException t) {
      // The learner holds the update; the journal still holds the batch, so nothing is lost: a later
      // checkpoint covers it, or a restart trains it again.
      failedCheckpoints.incrementAndGet();
      failureObserver.accept(t);
    }
  }

  /**
   * Queues peers' experiences (a fleet's, SPEC §7: with γ 0 each is its own episode) to be trained on in
   * batches like this agent's own: on the trainer, one batch per task, so an own batch that fills meanwhile is
   * trained between two of them. A partial batch waits for the next experiences. Peers' experiences are not
   * journaled (they live in the peers' objects); a checkpoint after the last batch of a drain keeps what they
   * taught.
   */
  void peers(List<Experience> es) {
    synchronized (lock) {
      peerQueue.addAll(es);
      while (peerQueue.size() > PEER_QUEUE) {
        peerQueue.removeFirst();
        peerDropped.incrementAndGet();
      }
    }
    if (thread == null) {
      while (peerStep()) { }
      return;
    }
    schedulePeerStep();
  }

  private void schedulePeerStep() {
    if (stopping) return;
    try {
      thread.execute(() -> { if (peerStep()) schedulePeerStep(); });
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      // shutting down: peers' experiences are not ours to keep
    }
  }

  /** Trains one batch of peers' experiences when a full one waits; true when another full one waits after it. */
  private boolean peerStep() {
    List<Experience> batch = new java.util.ArrayList<>();
    boolean more;
    synchronized (lock) {
      if (stopping || peerQueue.size() < buffer.batchSize()) return false;
      for (int i = 0; i < buffer.batchSize(); i++) batch.add(peerQueue.removeFirst());
      more = peerQueue.size() >= buffer.batchSize();
    }
    // With γ 0 the advantage is r − V(s) of this agent's critic now (as replay computes it); the peer's own value
    // estimate is not shared.
    dev.edgeppo.ppo.Policy now = learner.policy();
    List<Experience> valued = new java.util.ArrayList<>(batch.size());
    for (Experience e : batch)
      valued.add(new Experience(e.seq(), e.state(), e.action(), e.logProb(), now.value(e.state()), e.reward(), e.state(), true));
    UpdateMetrics m = update(valued);
    if (m == null) return more;
    peerUpdates.incrementAndGet();
    if (!more && trainedThrough >= 0) checkpoint(m);
    updateObserver.accept(m);
    return more;
  }

  /** Updates on this agent's own batches; on peers' batches; peer experiences dropped from a full queue. */
  long ownUpdates() { return ownUpdates.get(); }
  long peerUpdates() { return peerUpdates.get(); }
  long peerDropped() { return peerDropped.get(); }

  static RolloutBatch toBatch(List<Experience> es) {
    int t = es.size(), sd = ParamLayout.STATE_DIM, ad = ParamLayout.ACTION_DIM;
    RolloutBatch b = RolloutBatch.allocate(t);
    for (int i = 0; i < t; i++) {
      Experience e = es.get(i);
      System.arraycopy(e.state(), 0, b.states(), i * sd, sd);
      System.arraycopy(e.action(), 0, b.actions(), i * ad, ad);
      System.arraycopy(e.nextState(), 0, b.nextStates(), i * sd, sd);
      b.logProbs()[i] = e.logProb();
      b.values()[i] = e.value();
      b.rewards()[i] = e.reward();
      b.dones()[i] = e.done() ? 1f : 0f;
    }
    return new RolloutBatch(t, b.states(), b.actions(), b.logProbs(), b.values(), b.rewards(), b.nextStates(), b.dones());
  }

  /**
   * Moves the parameters by {@code delta} on the trainer (between two updates, never during one) and waits for
   * it; then writes the checkpoint when an update of this process gave it a seq to stand on (else the next
   * update's checkpoint holds the move; until then the fleet still holds what it came from).
   */
  void shift(float[] delta, Duration wait) {
    Runnable task = () -> {
      learner.shift(delta);
      if (trainedThrough < 0) return;
      try {
        durability.updated(learner.snapshot(), trainedThrough, learner.lastMetrics());
      } catch (RuntimeException t) {
        failedCheckpoints.incrementAndGet();
        failureObserver.accept(t);
      }
    };
    if (thread == null) {
      task.run();
      return;
    }
    if (stopping) throw new IllegalStateException("the trainer is stopping");
    java.util.concurrent.Future<?> f;
    try {
      f = thread.submit(task);
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      throw new IllegalStateException("the trainer is stopping");
    }
    try {
      f.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) throw re;
      throw new IllegalStateException(e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      // Still queued behind updates: it runs when they end, and is then as good as done.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  boolean isTraining() { synchronized (lock) { return training; } }

  /** Blocks until no update runs and no full batch waits, or the timeout passes; true when idle. */
  boolean awaitIdle(long timeoutMillis) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    synchronized (lock) {
      while (training) {
        long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
        if (left <= 0) return false;
        lock.wait(left);
      }
      return true;
    }
  }

  /**
   * Runs {@code task} on the trainer thread ahead of every update queued after it (the start-up JIT warm-up);
   * inline, right here; once stopping, not at all. A long task polls {@link #stopping()}.
   */
  void runFirst(Runnable task) {
    if (stopping) return;
    if (thread == null) {
      task.run();
      return;
    }
    try {
      thread.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      // shutting down: nothing to warm any more
    }
  }

  boolean stopping() { return stopping; }

  long failedUpdates() { return failedUpdates.get(); }
  long failedCheckpoints() { return failedCheckpoints.get(); }

  /**
   * Starts no further update and waits up to {@code wait} for a running one. Returns true when none runs
   * any more; false when one was abandoned (its batch stays in the journal and is trained after restart).
   */
  boolean stop(Duration wait) {
    stopping = true;
    if (thread == null) return true;
    thread.shutdown();
    try {
      return thread.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
