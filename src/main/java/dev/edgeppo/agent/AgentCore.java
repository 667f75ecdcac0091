package dev.edgeppo.agent;

import dev.edgeppo.observe.PodObserver;
import dev.edgeppo.observe.SkipReason;
import dev.edgeppo.observe.Verdict;
import dev.edgeppo.ppo.Policy;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.ppo.UpdateMetrics;
import dev.edgeppo.telemetry.GpuSnapshot;
import dev.edgeppo.telemetry.Telemetry;
import dev.edgeppo.telemetry.TelemetryException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The agent without its transport: /allocate and /feedback as method calls. The HTTP server and the
 * simulator both drive this class, so they allocate, reward and learn with the same code. It composes one
 * owner per job and keeps only the order in which they are called:
 *
 * <ul>
 *   <li>{@link AllocationTable}: the allocations handed out, their TTL and size cap;
 *   <li>{@link ExperienceBuffer}: sequence numbers and the experiences waiting for an update;
 *   <li>{@link Trainer}: the one thread that trains;
 *   <li>{@link Durability}: the journal and checkpoint, in the order its javadoc states;
 *   <li>{@link SeededRandom}: action sampling.
 * </ul>
 *
 * <p>{@link #feedback} is the one path by which an experience enters the agent, whoever reports it.
 */
public final class AgentCore implements AutoCloseable {
  private final PpoLearner learner;
  private final Telemetry telemetry;
  private final AgentOptions options;
  private final Durability durability;
  private final StateEncoder encoder;
  private final SeededRandom rng;
  private final AllocationTable allocations;
  private final ExperienceBuffer buffer;
  private final Trainer trainer;
  /** Watches allocations that name their pod (SPEC §5); null until {@link #observeWith} (simulator, tests). */
  private volatile PodObserver observer;
  private volatile Consumer<AllocationTable.Answer> feedbackListener = a -> {};
  /** The newest own experiences, oldest first, for a fleet to share (SPEC §7); guarded by itself. */
  private final java.util.ArrayDeque<Experience> recent = new java.util.ArrayDeque<>();
  /** How many own experiences {@link #recentExperiences} keeps. */
  public static final int RECENT_EXPERIENCES = 256;

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
    this.rng = new SeededRandom(options.seed());
    this.allocations = new AllocationTable(options.clock(), options.pendingTtl(), options.maxPending());
    this.buffer = new ExperienceBuffer(learner.hyperparameters().batchSize(), firstSeq);
    this.trainer = new Trainer(buffer, learner, durability, options.trainInline());
  }

  public Allocation allocate(AllocateRequest req) {
    req.validate();
    GpuSnapshot gpu = GpuChooser.choose(telemetry.read(), req.gpu());
    float[] state = encoder.encode(req.cores(), req.memoryMb(), gpu);
    Policy policy = learner.policy();
    Policy.Decision d = policy.act(state, options.mode() == Mode.TRAIN, rng);
    ActionMapper.Grant g = ActionMapper.grant(learner.hyperparameters().actionMapping(), d.action(), req.cores(), req.memoryMb(),
        encoder.maxMemoryMb(gpu));
    String id = AllocationIds.next();
    String podUid = req.podUid() == null ? null : dev.edgeppo.observe.PodCgroup.normalize(req.podUid());
    allocations.add(new AllocationTable.Record(id, state, d.action(), d.logProb(), d.value(), req.cores(), req.memoryMb(),
        g.cores(), g.memoryMb(), gpu.index(), gpu.uuid(), podUid, options.clock().millis()));
    if (podUid != null) observe(id, podUid, gpu.index(), g.cores(), g.memoryMb(), req.cores(), req.slo());
    // The table copied the state into its own storage, so the answer may keep this array.
    return new Allocation(id, g.cores(), g.memoryMb(), gpu.index(), gpu.uuid(), state, policy.version());
  }

  /**
   * Completes an allocation's experience, following {@link Durability}'s protocol: claim the allocation,
   * read the next state, then (1) append and (2) fsync the record, and only then (3) mark the allocation
   * answered and buffer the experience. Anything that fails before step 3 puts the allocation back as it
   * was and throws: a refused feedback changes nothing, so it can be sent again.
   */
  public FeedbackResult feedback(Feedback fb) { return feedback(fb, AllocationTable.Source.HTTP, null); }

  /**
   * SPEC §5, webhook pods: the pod carrying allocation {@code id}'s annotation now exists with {@code podUid};
   * bind it and observe it like any other (with its declared service level, if any). False when the allocation
   * is unknown, no longer pending, or already names a pod (a repeated watch event, say).
   */
  public boolean bindPod(String id, String podUid, dev.edgeppo.observe.slo.MetricsEndpoint slo) {
    if (!dev.edgeppo.observe.PodCgroup.isUid(podUid)) return false;
    String uid = dev.edgeppo.observe.PodCgroup.normalize(podUid);
    if (!allocations.bindPod(id, uid)) return false;
    AllocationTable.Record r = allocations.view(id).orElseThrow().record();
    observe(id, uid, r.gpuIndex(), r.cores(), r.memoryMb(), r.requestedCores(), slo);
    return true;
  }

  /** Hands an allocation that names its pod to the observer, or records why nobody observes it. */
  private void observe(String id, String podUid, int gpuIndex, int cores, long memoryMb, int requestedCores,
                       dev.edgeppo.observe.slo.MetricsEndpoint slo) {
    PodObserver o = observer;
    if (o == null) {
      allocations.observation(id, new AllocationTable.Observation(0, null, null,
          List.of("not observed: this agent runs no pod observer")));
      return;
    }
    PodObserver.Start s = o.observe(new PodObserver.Target(id, podUid, gpuIndex, cores, memoryMb, requestedCores, slo));
    allocations.observation(id, new AllocationTable.Observation(0, null, null, List.of(s.why())));
  }

  /**
   * The one path of every feedback, whoever reports it: {@code source} and, for an observed one, the verdict
   * it came from are kept with the allocation for GET /v1/allocations/{id}.
   */
  private FeedbackResult feedback(Feedback fb, AllocationTable.Source source, Verdict verdict) {
    fb.validate();
    AllocationTable.Record a = allocations.claim(fb.allocationId());
    ExperienceBuffer.Writer journal = durability::append;
    Experience e = null;
    try {
      // next_state repeats the request with a fresh reading (SPEC §1).
      float[] next = encoder.encode(a.requestedCores(), a.requestedMemoryMb(), gpuByIndex(a.gpuIndex()));
      float reward = (float) Reward.of(a.cores(), fb.actualUsage(), fb.qosMet(), fb.pods());
      if (options.mode() == Mode.INFER) {
        answered(a, fb, source, verdict, reward);
        return new FeedbackResult(reward, 0, false, -1);
      }
      e = buffer.write(seq -> new Experience(seq, a.state(), a.action(), a.logProb(), a.value(), reward, next, fb.done()),
          journal);                                  // step 1: append
      durability.sync(e.seq());                      // step 2: fsync
    } catch (RuntimeException | Error x) {
      if (e != null) buffer.failed(e);
      allocations.release(a);
      throw x;
    }
    answered(a, fb, source, verdict, e.reward());    // step 3: mark answered
    int buffered = buffer.durable(e);
    remember(e);
    boolean running = trainer.kick();                // step 4 (and 5, 6 after it): train when a batch is full
    return new FeedbackResult(e.reward(), buffered, running, e.seq());
  }

  private void answered(AllocationTable.Record a, Feedback fb, AllocationTable.Source source, Verdict verdict, double reward) {
    AllocationTable.Answer answer = new AllocationTable.Answer(source, fb.actualUsage(), fb.qosMet(), fb.pods(), fb.done(), reward);
    allocations.answered(a, answer, verdict == null ? null : new AllocationTable.Observation(verdict.samples(),
        verdict.throttledSamples(), verdict.peakMemoryMib(), verdict.why(), verdict.slo()));
    feedbackListener.accept(answer);
  }

  /**
   * Lets {@code o} watch every later allocation that names its pod, reporting through this core. The observer
   * must have been built on {@link #observerSink()}.
   */
  public void observeWith(PodObserver o) { this.observer = o; }

  public PodObserver observer() { return observer; }

  /** The feedback path and allocation table as the pod observer sees them. */
  public PodObserver.Sink observerSink() {
    return new PodObserver.Sink() {
      @Override
      public State state(String id) {
        return allocations.view(id).map(v -> switch (v.status()) {
          case PENDING, ANSWERING -> State.PENDING;
          case ANSWERED -> State.ANSWERED;
          case EXPIRED -> State.GONE;
        }).orElse(State.GONE);
      }

      @Override
      public Outcome report(String id, Verdict v) {
        try {
          feedback(new Feedback(id, v.actualUsage(), v.qosMet(), v.pods(), v.done()), AllocationTable.Source.OBSERVED, v);
          return Outcome.RECORDED;
        } catch (DuplicateFeedbackException e) {
          return Outcome.ALREADY_ANSWERED;
        } catch (UnknownAllocationException e) {
          return Outcome.GONE;
        }
      }

      @Override
      public void expire(String id, String why) {
        allocations.observation(id, new AllocationTable.Observation(0, null, null, List.of(why)));
        allocations.expire(id, why);
      }

      @Override
      public void notObserved(String id, SkipReason reason, String why) {
        allocations.observation(id, new AllocationTable.Observation(0, null, null, List.of(why)));
      }
    };
  }

  /** Called after every recorded feedback, HTTP or observed (metrics). */
  public void onFeedback(Consumer<AllocationTable.Answer> listener) { this.feedbackListener = Objects.requireNonNull(listener); }

  /** Experiences a journal replays at start: buffered as if their feedback had just arrived, not journaled again. */
  public void replay(Collection<Experience> experiences) {
    buffer.replay(experiences);
    experiences.forEach(this::remember);
    trainer.kick();
  }

  private void remember(Experience e) {
    synchronized (recent) {
      recent.addLast(e);
      if (recent.size() > RECENT_EXPERIENCES) recent.removeFirst();
    }
  }

  /**
   * The newest {@value #RECENT_EXPERIENCES} own experiences (durable ones, from this process's feedback and the
   * journal it replayed), in seq order: what a fleet shares with its peers.
   */
  public List<Experience> recentExperiences() {
    synchronized (recent) {
      List<Experience> out = new java.util.ArrayList<>(recent);
      out.sort(java.util.Comparator.comparingLong(Experience::seq));
      return out;
    }
  }

  /**
   * Peers' experiences (a fleet's, SPEC §7) to train on, in batches like this agent's own, on the trainer between
   * its own updates ({@link Trainer#peers}); not journaled. Only for a learner with γ 0, where each experience is
   * its own episode.
   */
  public void trainOnPeers(List<Experience> experiences) {
    if (learner.hyperparameters().gamma() != 0) throw new IllegalStateException("peers' experiences need gamma 0, this learner has "
        + learner.hyperparameters().gamma());
    trainer.peers(experiences);
  }

  /** Updates on own batches (the rest of {@link #updates} trained on peers' experiences). */
  public long ownUpdates() { return trainer.ownUpdates(); }
  public long peerUpdates() { return trainer.peerUpdates(); }
  /** Peers' experiences dropped because the trainer could not keep up. */
  public long peerExperiencesDropped() { return trainer.peerDropped(); }

  private GpuSnapshot gpuByIndex(int index) {
    List<GpuSnapshot> gpus = telemetry.read();
    for (GpuSnapshot g : gpus) if (g.index() == index) return g;
    throw new TelemetryException("GPU " + index + " of the allocation is no longer reported");
  }

  /** Drops allocations past their TTL (see {@link AllocationTable#sweep}). */
  public void sweep() { allocations.sweep(); }

  public boolean isTraining() { return trainer.isTraining(); }

  /** Blocks until no update runs and no full batch waits, or the timeout passes; true when idle. */
  public boolean awaitIdle(long timeoutMillis) throws InterruptedException { return trainer.awaitIdle(timeoutMillis); }

  public int buffered() { return buffer.size(); }
  public long pending() { return allocations.pending(); }
  public long expired() { return allocations.expired(); }
  public long updates() { return learner.updates(); }
  public long failedUpdates() { return trainer.failedUpdates(); }
  /** Checkpoints (or compactions) that failed after an update; what they would have saved is still in the journal. */
  public long failedCheckpoints() { return trainer.failedCheckpoints(); }
  public long nextSeq() { return buffer.nextSeq(); }
  public PpoLearner learner() { return learner; }
  public Telemetry telemetry() { return telemetry; }
  public AgentOptions options() { return options; }
  public Optional<AllocationTable.View> allocation(String id) { return allocations.view(id); }

  /** Empty while feedback can be made durable, else why not (no paths). */
  public Optional<String> durabilityProblem() { return durability.health(); }
  public long journalCorruptBytesAtStart() { return durability.journalCorruptBytesAtStart(); }
  public long failedCompactions() { return durability.failedCompactions(); }

  /**
   * Moves the learned parameters by {@code delta} (a fleet merge, SPEC §7) between two updates and serves the
   * result; checkpointed as {@link Trainer#shift} says. Waits up to {@code wait} for a running update to end.
   */
  public void shiftPolicy(float[] delta, Duration wait) { trainer.shift(delta, wait); }

  /** Runs {@code task} on the trainer ahead of any update queued after it (the start-up JIT warm-up). */
  public void onTrainer(Runnable task) { trainer.runFirst(task); }

  /** True once the trainer was told to stop: a long task on it should end. */
  public boolean stopping() { return trainer.stopping(); }

  /** Called on the trainer after each successful update (metrics, logs). */
  public void onUpdate(Consumer<UpdateMetrics> observer) { trainer.onUpdate(observer); }

  /** Called on the trainer when an update throws (its batch is dropped) or its checkpoint fails. */
  public void onUpdateFailure(Consumer<Throwable> observer) { trainer.onFailure(observer); }

  /**
   * Starts no further update and waits up to {@code wait} for a running one; true when none runs any more,
   * false when it was abandoned (the journal still holds its batch).
   */
  public boolean stop(Duration wait) { return trainer.stop(wait); }

  /** Lets a running update finish (up to a few seconds), then stops the trainer. */
  @Override
  public void close() { stop(Duration.ofSeconds(5)); }
}
