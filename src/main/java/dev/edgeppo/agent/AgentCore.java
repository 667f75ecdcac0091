package dev.edgeppo.agent;

import dev.edgeppo.ppo.ParamLayout;
import dev.edgeppo.ppo.Policy;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.ppo.RolloutBatch;
import dev.edgeppo.ppo.UpdateMetrics;
import dev.edgeppo.telemetry.GpuSnapshot;
import dev.edgeppo.telemetry.Telemetry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * The agent without its transport: /allocate and /feedback as method calls, the experience buffer and
 * the trainer. The HTTP server and the simulator both drive this class, so they allocate, reward and
 * learn with the same code.
 *
 * <p>An allocation keeps what training needs (state, unclipped action, log-prob, V(s)) in a pending entry
 * until its feedback arrives; the feedback completes the experience with SPEC §1's reward and a fresh
 * telemetry reading as next state. Every {@code batch_size} complete experiences one update runs, on a
 * single background trainer (or inline when asked); experiences completed meanwhile wait for the next one.
 */
public final class AgentCore implements AutoCloseable {
  private final PpoLearner learner;
  private final Telemetry telemetry;
  private final AgentOptions options;
  private final Durability durability;
  private final StateEncoder encoder;
  private final RandomGenerator rng;
  private final int batchSize;

  private final ConcurrentHashMap<String, Entry> pending = new ConcurrentHashMap<>();
  /** Ids in allocation order (so in age order): the TTL sweep and the size cap drop from the head. */
  private final ConcurrentLinkedQueue<String> order = new ConcurrentLinkedQueue<>();
  private final AtomicLong pendingCount = new AtomicLong();
  private final LongAdder expired = new LongAdder();
  private final AtomicLong lastSweepMillis = new AtomicLong();

  /** Guards buffer, nextSeq and training; the journal append happens under it so seq order = file order. */
  private final Object lock = new Object();
  private final ArrayList<Experience> buffer = new ArrayList<>();
  private long nextSeq;
  private boolean training;
  private final ExecutorService trainer;
  private final AtomicLong failedUpdates = new AtomicLong();
  private volatile Consumer<UpdateMetrics> updateObserver = m -> {};
  private volatile Consumer<Throwable> failureObserver = t -> {};
  private volatile boolean closing;

  /** What the id map holds: a pending allocation, or the small mark of one answered (kept until the TTL for 409s). */
  private sealed interface Entry permits Pending, Answered {
    long createdMillis();
  }

  private record Answered(long createdMillis) implements Entry {}

  private static final class Pending implements Entry {
    final float[] state, action;
    final float logProb, value;
    final int requestedCores, cores, gpuIndex;
    final long requestedMemoryMb, createdMillis;
    final AtomicBoolean answered = new AtomicBoolean();

    Pending(float[] state, float[] action, float logProb, float value, int requestedCores, long requestedMemoryMb, int cores,
            int gpuIndex, long createdMillis) {
      this.state = state;
      this.action = action;
      this.logProb = logProb;
      this.value = value;
      this.requestedCores = requestedCores;
      this.requestedMemoryMb = requestedMemoryMb;
      this.cores = cores;
      this.gpuIndex = gpuIndex;
      this.createdMillis = createdMillis;
    }

    @Override
    public long createdMillis() { return createdMillis; }
  }

  public AgentCore(PpoLearner learner, Telemetry telemetry, AgentOptions options) {
    this(learner, telemetry, options, Durability.NONE, 0);
  }

  /** @param firstSeq the number the next completed experience gets (after those a journal replays) */
  public AgentCore(PpoLearner learner, Telemetry telemetry, AgentOptions options, Durability durability, long firstSeq) {
    this.learner = Objects.requireNonNull(learner);
    this.telemetry = Objects.requireNonNull(telemetry);
    this.options = Objects.requireNonNull(options);
    this.durability = Objects.requireNonNull(durability);
    this.encoder = new StateEncoder(options.maxMemoryMb(), options.maxPods());
    this.rng = new LockedRandom(new SplittableRandom(options.seed()));
    this.batchSize = learner.hyperparameters().batchSize();
    this.nextSeq = firstSeq;
    this.lastSweepMillis.set(options.clock().millis());
    this.trainer = options.trainInline() ? null : Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "edgeppo-trainer");
      t.setDaemon(true);
      return t;
    });
  }

  public Allocation allocate(AllocateRequest req) {
    req.validate();
    GpuSnapshot gpu = GpuChooser.choose(telemetry.read(), req.gpu());
    float[] state = encoder.encode(req.cores(), req.memoryMb(), gpu);
    Policy policy = learner.policy();
    Policy.Decision d = policy.act(state, options.mode() == Mode.TRAIN, rng);
    ActionMapper.Grant g = ActionMapper.grant(d.action(), req.cores(), req.memoryMb(), encoder.maxMemoryMb(gpu));
    long now = options.clock().millis();
    String id = UUID.randomUUID().toString();
    pending.put(id, new Pending(state, d.action(), d.logProb(), d.value(), req.cores(), req.memoryMb(), g.cores(), gpu.index(), now));
    order.add(id);
    pendingCount.incrementAndGet();
    while (pending.mappingCount() > options.maxPending()) dropOldest();
    maybeSweep(now);
    return new Allocation(id, g.cores(), g.memoryMb(), gpu.index(), gpu.uuid(), state.clone(), policy.version());
  }

  public FeedbackResult feedback(Feedback fb) {
    fb.validate();
    long now = options.clock().millis();
    Entry en = pending.get(fb.allocationId());
    if (en == null) throw new UnknownAllocationException("unknown allocation_id '" + fb.allocationId() + "'");
    if (!(en instanceof Pending p) || p.answered.get()) throw new DuplicateFeedbackException("allocation '" + fb.allocationId() + "' already had its feedback");
    if (now - p.createdMillis > ttlMillis()) {
      expire(fb.allocationId(), p);
      throw new UnknownAllocationException("allocation '" + fb.allocationId() + "' expired after " + options.pendingTtl());
    }
    // next_state repeats the request with a fresh reading (SPEC §1). Read before claiming the entry: if
    // telemetry fails, nothing changed and the feedback can be sent again.
    float[] next = encoder.encode(p.requestedCores, p.requestedMemoryMb, gpuByIndex(p.gpuIndex));
    double reward = Reward.of(p.cores, fb.actualUsage(), fb.qosMet(), fb.pods());
    if (!p.answered.compareAndSet(false, true))
      throw new DuplicateFeedbackException("allocation '" + fb.allocationId() + "' already had its feedback");
    pendingCount.decrementAndGet();
    pending.replace(fb.allocationId(), p, new Answered(p.createdMillis));
    maybeSweep(now);
    if (options.mode() == Mode.INFER) return new FeedbackResult(reward, 0, false);
    return complete(p, (float) reward, next, fb.done());
  }

  /** Experiences a journal replays at start: buffered as if their feedback had just arrived, not journaled again. */
  public void replay(Collection<Experience> experiences) {
    boolean start;
    synchronized (lock) {
      for (Experience e : experiences) {
        buffer.add(e);
        nextSeq = Math.max(nextSeq, e.seq() + 1);
      }
      start = claimBatch();
    }
    if (start) runUpdate();
  }

  private FeedbackResult complete(Pending p, float reward, float[] next, boolean done) {
    Experience e;
    int buffered;
    boolean start;
    synchronized (lock) {
      e = new Experience(nextSeq++, p.state, p.action, p.logProb, p.value, reward, next, done);
      durability.append(e);
      buffer.add(e);
      buffered = buffer.size();
      start = claimBatch();
    }
    durability.sync(e.seq());
    boolean running = start || isTraining();
    if (start) runUpdate();
    return new FeedbackResult(reward, buffered, running);
  }

  /** Under lock: true when a batch is full and no update runs; the caller then starts one. */
  private boolean claimBatch() {
    if (training || buffer.size() < batchSize) return false;
    training = true;
    return true;
  }

  private void runUpdate() {
    if (trainer == null) trainLoop();
    else trainer.execute(this::trainLoop);
  }

  /** Runs updates while full batches are waiting; releases the training flag when none is. */
  private void trainLoop() {
    while (true) {
      List<Experience> batch;
      synchronized (lock) {
        batch = new ArrayList<>(buffer.subList(0, batchSize));
        buffer.subList(0, batchSize).clear();
      }
      try {
        UpdateMetrics m = learner.update(toBatch(batch));
        durability.updated(learner, batch.getLast().seq(), m);
        updateObserver.accept(m);
      } catch (RuntimeException | Error t) {
        failedUpdates.incrementAndGet();
        failureObserver.accept(t);
      }
      synchronized (lock) {
        if (buffer.size() < batchSize) {
          training = false;
          lock.notifyAll();
          return;
        }
      }
    }
  }

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

  private GpuSnapshot gpuByIndex(int index) {
    List<GpuSnapshot> gpus = telemetry.read();
    for (GpuSnapshot g : gpus) if (g.index() == index) return g;
    throw new dev.edgeppo.telemetry.TelemetryException("GPU " + index + " of the allocation is no longer reported");
  }

  private long ttlMillis() { return options.pendingTtl().toMillis(); }

  private void expire(String id, Pending p) {
    if (pending.remove(id, p) && p.answered.compareAndSet(false, true)) {
      pendingCount.decrementAndGet();
      expired.increment();
    }
  }

  /**
   * Drops entries older than the TTL from the head of the age queue: unanswered ones count as expired,
   * answered ones are just forgotten. Costs what it drops, not the size of the table.
   */
  public void sweep() {
    long now = options.clock().millis();
    lastSweepMillis.set(now);
    for (String id; (id = order.peek()) != null; ) {
      Entry e = pending.get(id);
      if (e != null && now - e.createdMillis() <= ttlMillis()) return;
      dropOldest();
    }
  }

  /** Forgets the oldest id in the queue (expiring it if still unanswered). */
  private void dropOldest() {
    String id = order.poll();
    if (id == null) return;
    Entry e = pending.get(id);
    if (e instanceof Pending p && !p.answered.get()) expire(id, p);
    else if (e != null) pending.remove(id, e);
  }

  private void maybeSweep(long now) {
    long last = lastSweepMillis.get();
    // A full scan at most ten times per TTL keeps the cost per request constant.
    if (now - last > Math.max(1, ttlMillis() / 10) && lastSweepMillis.compareAndSet(last, now)) sweep();
  }

  public boolean isTraining() {
    synchronized (lock) { return training; }
  }

  /** Blocks until no update runs and no full batch waits, or the timeout passes; true when idle. */
  public boolean awaitIdle(long timeoutMillis) throws InterruptedException {
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

  public int buffered() { synchronized (lock) { return buffer.size(); } }
  /** Experiences completed but not yet trained on, in seq order (for a shutdown report or tests). */
  public List<Experience> bufferedExperiences() { synchronized (lock) { return List.copyOf(buffer); } }
  public long pending() { return pendingCount.get(); }
  public long expired() { return expired.sum(); }
  public long updates() { return learner.updates(); }
  public long failedUpdates() { return failedUpdates.get(); }
  public long nextSeq() { synchronized (lock) { return nextSeq; } }
  public PpoLearner learner() { return learner; }
  public Telemetry telemetry() { return telemetry; }
  public AgentOptions options() { return options; }

  /** Called on the trainer after each successful update (metrics, logs). */
  public void onUpdate(Consumer<UpdateMetrics> observer) { this.updateObserver = Objects.requireNonNull(observer); }

  /** Called on the trainer when an update throws; its batch is dropped. */
  public void onUpdateFailure(Consumer<Throwable> observer) { this.failureObserver = Objects.requireNonNull(observer); }

  /**
   * Runs {@code task} on the trainer ahead of every update queued after it (the start-up JIT warm-up);
   * with inline training, right here. A long task should stop once {@link #closing()} is true.
   */
  public void onTrainer(Runnable task) {
    if (trainer == null) task.run();
    else trainer.execute(task);
  }

  /** True once {@link #close()} began. */
  public boolean closing() { return closing; }

  /** Lets a running update finish (up to the timeout), then stops the trainer. */
  @Override
  public void close() {
    closing = true;
    if (trainer == null) return;
    trainer.shutdown();
    try {
      trainer.awaitTermination(8, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Sampling is shared by request threads; a lock keeps one seeded stream (SplittableRandom is not thread-safe). */
  private static final class LockedRandom implements RandomGenerator {
    private final SplittableRandom r;
    LockedRandom(SplittableRandom r) { this.r = r; }
    @Override public synchronized long nextLong() { return r.nextLong(); }
    @Override public synchronized double nextGaussian() { return r.nextGaussian(); }
  }
}
