package dev.edgeppo.observe;

import dev.edgeppo.observe.slo.MetricsEndpoint;
import dev.edgeppo.observe.slo.Scrape;
import dev.edgeppo.observe.slo.Scraper;
import dev.edgeppo.observe.slo.SloJudge;
import dev.edgeppo.observe.slo.SloVerdict;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Closes the loop on the node (SPEC §5): watches the GPU processes of each allocation that names its pod and,
 * when the pod ends or its window closes, writes the feedback itself through the {@link Sink} (the same path
 * as POST /feedback).
 *
 * <p>One reader for every observed allocation: each period, every GPU that has an open observation is read
 * once ({@link ProcessSource}), each process is mapped to its pod ({@link PodResolver}), and each observation
 * gets one {@link PodSample}. An observation waits up to one window for its pod's first GPU process (none:
 * the allocation expires, {@link SkipReason#NO_GPU_PROCESS}), then samples for one window from that first
 * process, or until the pod's processes are gone, or until the pod is known to have ended ({@link #podEnded}). Readings run on the observer's own thread ({@link #start}),
 * never on a request; the simulator calls {@link #tick} itself on its own clock.
 */
public final class PodObserver implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(PodObserver.class.getName());
  /** Consecutive failed readings after which an observation gives up (NVML's text in the reason). */
  static final int MAX_FAILED_READS = 3;
  /**
   * Scrapes one observation keeps (a 60 s window at 2 s takes 31). Beyond, the second-oldest is dropped: the
   * window's start stays, increases across a dropped scrape still add up (a reset hidden inside that span is
   * missed), and memory stays bounded whatever --observe-window-seconds is (each scrape may hold 10,000 samples).
   */
  static final int MAX_SCRAPES = 256;

  /** What the observer needs from the agent: the feedback path and the allocation table. */
  public interface Sink {
    /** Where an allocation stands, so an observation answered by POST /feedback meanwhile can stop early. */
    enum State { PENDING, ANSWERED, GONE }

    /** What became of an observed feedback. */
    enum Outcome { RECORDED, ALREADY_ANSWERED, GONE }

    State state(String allocationId);

    /** Records the observed feedback through the POST /feedback path (journal, reward, buffer, training). */
    Outcome report(String allocationId, Verdict verdict);

    /** The pod never showed a GPU process: the allocation expires, with {@code why} visible. */
    void expire(String allocationId, String why);

    /** The allocation will get no observed feedback (it stays open for a POST /feedback). */
    void notObserved(String allocationId, SkipReason reason, String why);
  }

  /**
   * An allocation the observer was asked to watch; {@code slo}, when not null, is the pod's declared service
   * level, scraped with each reading and deciding {@code qos_met} first (SPEC §5 rule 1).
   */
  public record Target(String allocationId, String podUid, int gpuIndex, int grantedCores, long grantedMemoryMb,
                       int requestedCores, MetricsEndpoint slo) {
    public Target {
      Objects.requireNonNull(allocationId);
      podUid = PodCgroup.normalize(Objects.requireNonNull(podUid));
    }

    /** A pod that declares no service level. */
    public Target(String allocationId, String podUid, int gpuIndex, int grantedCores, long grantedMemoryMb, int requestedCores) {
      this(allocationId, podUid, gpuIndex, grantedCores, grantedMemoryMb, requestedCores, null);
    }
  }

  /** What an observation in flight has seen so far, for GET /v1/allocations/{id}. */
  public record Progress(int samples, double meanSm, int throttledSamples, long peakMemoryMib, String why) {}

  /** The answer to {@link #observe}: null reason when accepted. */
  public record Start(SkipReason skipped, String why) {
    public boolean accepted() { return skipped == null; }
  }

  private final ProcessSource source;
  private final String unavailableWhy;
  private final PodResolver resolver;
  private final Sink sink;
  private final Duration period, window;
  private final InstantSource clock;
  /** Reads declared service levels; null: no pod's metrics can be read here (each such window is undecided). */
  private final Scraper scraper;
  /** Within one round: observations to scrape now (they took a reading), then those to finish after. */
  private final List<Observation> toScrape = new ArrayList<>();
  private final List<Closing> closing = new ArrayList<>();

  private record Closing(Observation o, Ending ending) {}

  private final ConcurrentHashMap<String, Observation> open = new ConcurrentHashMap<>();
  private final LongAdder scrapes = new LongAdder();
  private final ConcurrentHashMap<String, LongAdder> scrapeFailures = new ConcurrentHashMap<>();
  private final LongAdder observed = new LongAdder(), reported = new LongAdder(), samplesRead = new LongAdder();
  private final Map<SkipReason, LongAdder> skipped = new EnumMap<>(SkipReason.class);
  private ScheduledExecutorService scheduler;
  /** Rounds and {@link #podEnded} take turns: both mutate observations (not {@code this}: {@link #close} waits on a round). */
  private final Object rounds = new Object();

  private PodObserver(ProcessSource source, String unavailableWhy, PodResolver resolver, Sink sink, Duration period,
                      Duration window, InstantSource clock, Scraper scraper) {
    if (period.isNegative() || period.isZero()) throw new IllegalArgumentException("observe period must be positive, got " + period);
    if (window.compareTo(period) < 0) throw new IllegalArgumentException("observe window " + window + " is shorter than its period " + period);
    this.source = source;
    this.unavailableWhy = unavailableWhy;
    this.resolver = resolver;
    this.sink = Objects.requireNonNull(sink);
    this.period = period;
    this.window = window;
    this.clock = Objects.requireNonNull(clock);
    this.scraper = scraper;
    for (SkipReason r : SkipReason.values()) skipped.put(r, new LongAdder());
  }

  /** An observer reading {@code source}, mapping PIDs through {@code resolver}. */
  public static PodObserver of(ProcessSource source, PodResolver resolver, Sink sink, Duration period, Duration window,
                               InstantSource clock) {
    return of(source, resolver, sink, period, window, clock, null);
  }

  /** As {@link #of(ProcessSource, PodResolver, Sink, Duration, Duration, InstantSource)}, scraping declared service levels with {@code scraper}. */
  public static PodObserver of(ProcessSource source, PodResolver resolver, Sink sink, Duration period, Duration window,
                               InstantSource clock, Scraper scraper) {
    return new PodObserver(Objects.requireNonNull(source), null, Objects.requireNonNull(resolver), sink, period, window, clock,
        scraper);
  }

  /** An observer on a node without per-process readings: every allocation with a pod is skipped with {@code why}. */
  public static PodObserver unavailable(String why, Sink sink, Duration period, Duration window) {
    return new PodObserver(null, Objects.requireNonNull(why), null, sink, period, window, InstantSource.system(), null);
  }

  public Duration period() { return period; }

  public Duration window() { return window; }

  /** Whether this observer can watch pods at all; if not, why not. */
  public String unavailableWhy() { return unavailableWhy; }

  /** Starts watching {@code t}'s pod; when this node cannot, says why (and counts it). */
  public Start observe(Target t) {
    if (source == null) {
      skipped.get(SkipReason.NVML_UNAVAILABLE).increment();
      return new Start(SkipReason.NVML_UNAVAILABLE, "not observed: " + unavailableWhy);
    }
    open.put(t.allocationId(), new Observation(t, clock.millis()));
    observed.increment();
    return new Start(null, "observing pod " + t.podUid() + " on GPU " + t.gpuIndex());
  }

  /** What an observation in flight has seen, or null when {@code allocationId} is not being observed. */
  public Progress progress(String allocationId) {
    Observation o = open.get(allocationId);
    return o == null ? null : o.progress;
  }

  /** Observations in flight. */
  public int observing() { return open.size(); }

  public long observedTotal() { return observed.sum(); }

  public long reportedTotal() { return reported.sum(); }

  public long samplesReadTotal() { return samplesRead.sum(); }

  public long skippedTotal(SkipReason r) { return skipped.get(r).sum(); }

  /** Scrapes of declared service levels taken. */
  public long scrapesTotal() { return scrapes.sum(); }

  /** Scrapes that failed with {@code reason} (the failure's first word: timeout, too_large, ...). */
  public long scrapeFailures(String reason) {
    LongAdder a = scrapeFailures.get(reason);
    return a == null ? 0 : a.sum();
  }

  private static void keep(Observation o, Scrape s) {
    o.scrapes.add(s);
    if (o.scrapes.size() > MAX_SCRAPES) {
      Scrape dropped = o.scrapes.remove(1);
      o.droppedScrapes++;
      if (!dropped.succeeded()) o.droppedFailures++;
    }
  }

  private void count(Scrape s) {
    scrapes.increment();
    if (s.succeeded()) return;
    int colon = s.failure().indexOf(':');
    String reason = colon < 0 ? s.failure() : s.failure().substring(0, colon);
    scrapeFailures.computeIfAbsent(reason, r -> new LongAdder()).increment();
  }

  /** Runs {@link #tick} every period on a daemon thread of its own. */
  public synchronized void start() {
    if (scheduler != null || source == null) return;
    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread th = new Thread(r, "edgeppo-observer");
      th.setDaemon(true);
      return th;
    });
    long p = period.toNanos();
    scheduler.scheduleWithFixedDelay(() -> {
      try {
        tick();
      } catch (RuntimeException | Error e) {
        // One bad round must not end the observer: the next one reads afresh.
        LOG.log(Level.SEVERE, "observer round failed", e);
      }
    }, p, p, TimeUnit.NANOSECONDS);
  }

  @Override
  public synchronized void close() {
    if (scheduler == null) return;
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    scheduler = null;
  }

  /** One round: reads each GPU that has an open observation once, advances every observation on it. */
  public void tick() {
    if (open.isEmpty()) return;
    synchronized (rounds) {
      round();
    }
  }

  /**
   * The pod of {@code allocationId} has ended, on an authority that knows (the kubelet unprepared its claim):
   * an observation with readings is judged now, as when its processes ended with the pod ({@link Ending#POD_ENDED},
   * done, no failure for vanishing), and its feedback recorded; one without any reading stops, counted under
   * {@link SkipReason#ENDED_BEFORE_PROCESS}, with no feedback invented. Returns false when the allocation was not
   * being observed (never, or already ended).
   */
  public boolean podEnded(String allocationId) {
    synchronized (rounds) {
      Observation o = open.get(allocationId);
      if (o == null) return false;
      if (ObservationRules.sinceFirstProcess(o.samples).isEmpty()) {
        finishSkipped(o, SkipReason.ENDED_BEFORE_PROCESS, "not observed: pod " + o.target.podUid() + " ended before any GPU process ("
            + SkipReason.ENDED_BEFORE_PROCESS.label() + ")", true);
      } else {
        finish(o, Ending.POD_ENDED);
      }
      return true;
    }
  }

  private void round() {
    long now = clock.millis();
    Map<Integer, List<Observation>> byGpu = new LinkedHashMap<>();
    for (Observation o : open.values()) {
      Sink.State st = sink.state(o.target.allocationId());
      if (st != Sink.State.PENDING) {
        finishSkipped(o, st == Sink.State.ANSWERED ? SkipReason.ANSWERED_BY_HTTP : SkipReason.ALLOCATION_GONE,
            st == Sink.State.ANSWERED ? "a POST /feedback answered it first" : "the allocation expired before its observation ended",
            false);
        continue;
      }
      byGpu.computeIfAbsent(o.target.gpuIndex(), g -> new ArrayList<>()).add(o);
    }
    for (Map.Entry<Integer, List<Observation>> e : byGpu.entrySet()) readGpu(e.getKey(), e.getValue(), now);
    settle(now);
  }

  /**
   * The round's scrapes, all at once (each bounded by the scraper: a round waits for the slowest, not the sum),
   * then the observations whose window closed this round are judged, their last scrape included.
   */
  private void settle(long now) {
    try {
      if (!toScrape.isEmpty() && scraper != null) scrapeAll(toScrape, now / 1000.0);
      for (Closing c : closing) finish(c.o(), c.ending());
    } finally {
      toScrape.clear();
      closing.clear();
    }
  }

  private void scrapeAll(List<Observation> obs, double at) {
    if (obs.size() == 1) {
      Observation o = obs.getFirst();
      Scrape s;
      try {
        s = scraper.scrape(o.target.slo(), at);
      } catch (RuntimeException e) { // a Scraper should answer a failed Scrape; one that throws fails only this scrape
        s = Scrape.failed(at, "io: " + e);
      }
      count(s);
      keep(o, s);
      return;
    }
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Scrape>> futures = new ArrayList<>();
      for (Observation o : obs) futures.add(pool.submit(() -> scraper.scrape(o.target.slo(), at)));
      for (int i = 0; i < obs.size(); i++) {
        Scrape s;
        try {
          s = futures.get(i).get();
        } catch (ExecutionException e) {
          s = Scrape.failed(at, "io: " + e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          s = Scrape.failed(at, "io: interrupted");
        }
        count(s);
        keep(obs.get(i), s);
      }
    }
  }

  private void readGpu(int gpu, List<Observation> obs, long now) {
    GpuProcesses r;
    try {
      r = source.read(gpu);
    } catch (ProcessSource.SignalMissing m) {
      for (Observation o : obs) finishSkipped(o, m.reason(), "not observed: " + m.getMessage(), true);
      return;
    } catch (RuntimeException ex) {
      for (Observation o : obs) {
        if (++o.failedReads >= MAX_FAILED_READS) {
          finishSkipped(o, SkipReason.READ_FAILED, "not observed: " + MAX_FAILED_READS + " readings in a row failed: "
              + ex.getMessage(), true);
        }
      }
      return;
    }
    // Each PID's pod, once per round for every observation on this GPU.
    Set<Integer> pids = new HashSet<>(r.memoryMib().keySet());
    pids.addAll(r.smPercent().keySet());
    Map<Integer, String> podOf = new HashMap<>();
    Set<String> pods = new HashSet<>();
    for (int pid : pids) {
      String uid = resolver.podOf(pid);
      if (uid == null) continue;
      podOf.put(pid, uid);
      // A process that just exited (a sample but no longer listed) does not make its pod one on the GPU.
      if (r.memoryMib().containsKey(pid)) pods.add(uid);
    }
    // How busy the whole GPU was: every process's SM, whether or not its pod is known (SPEC §5 rule 4).
    double gpuSm = 0;
    for (double v : r.smPercent().values()) gpuSm += v;
    for (Observation o : obs) {
      o.failedReads = 0;
      advance(o, r, podOf, pods.size(), gpuSm, now);
    }
  }

  private void advance(Observation o, GpuProcesses r, Map<Integer, String> podOf, int podsOnGpu, double gpuSm, long now) {
    double sm = 0;
    long mem = 0;
    int procs = 0;
    boolean memoryUnknown = false;
    for (Map.Entry<Integer, String> e : podOf.entrySet()) {
      if (!e.getValue().equals(o.target.podUid())) continue;
      int pid = e.getKey();
      sm += r.smPercent().getOrDefault(pid, 0.0);
      if (r.memoryMib().containsKey(pid)) {
        procs++;
        Long m = r.memoryMib().get(pid);
        if (m == null) memoryUnknown = true;
        else mem += m;
      }
    }
    if (procs > 0) {
      if (memoryUnknown) {
        finishSkipped(o, SkipReason.NO_PROCESS_MEMORY, "not observed: NVML does not tell the used memory of the pod's processes", true);
        return;
      }
      if (o.firstMillis < 0) o.firstMillis = now;
      o.add(new PodSample(now, sm, mem, procs, podsOnGpu, gpuSm));
      samplesRead.increment();
      if (o.target.slo() != null) toScrape.add(o); // the window's first reading, each period, its last
      if (now - o.firstMillis >= window.toMillis()) closing.add(new Closing(o, Ending.WINDOW_CLOSED));
      return;
    }
    if (o.firstMillis < 0) {
      if (now - o.startMillis >= window.toMillis()) {
        open.remove(o.target.allocationId());
        skipped.get(SkipReason.NO_GPU_PROCESS).increment();
        sink.expire(o.target.allocationId(), "expired: pod " + o.target.podUid() + " showed no process on GPU "
            + o.target.gpuIndex() + " within " + window.toMillis() / 1000.0 + " s (" + SkipReason.NO_GPU_PROCESS.label() + ")");
      }
      return;
    }
    closing.add(new Closing(o, resolver.podAlive(o.target.podUid()) ? Ending.PROCESSES_VANISHED : Ending.POD_ENDED));
  }

  private void finish(Observation o, Ending ending) {
    open.remove(o.target.allocationId());
    Verdict v = ObservationRules.judge(o.samples, o.target.grantedCores(), o.target.requestedCores(),
        o.target.grantedMemoryMb(), ending);
    if (o.target.slo() != null) {
      SloVerdict slo = scraper == null
          ? SloVerdict.undecided(o.target.slo().objective(), "this agent scrapes no metrics", 0, 0)
          : SloJudge.judge(o.target.slo().objective(), o.scrapes);
      if (o.droppedScrapes > 0) { // the count says what was taken, not what was kept
        slo = new SloVerdict(slo.objective(), slo.outcome(), slo.value(), slo.reason(), slo.scrapes() + o.droppedScrapes,
            slo.failedScrapes() + o.droppedFailures);
      }
      v = ObservationRules.withServiceLevel(v, slo);
    }
    Sink.Outcome out;
    try {
      out = sink.report(o.target.allocationId(), v);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "observed feedback for " + o.target.allocationId() + " was refused", e);
      skipped.get(SkipReason.FEEDBACK_FAILED).increment();
      sink.notObserved(o.target.allocationId(), SkipReason.FEEDBACK_FAILED, "observed, but the feedback failed: " + e.getMessage());
      return;
    }
    switch (out) {
      case RECORDED -> reported.increment();
      case ALREADY_ANSWERED -> skipped.get(SkipReason.ANSWERED_BY_HTTP).increment();
      case GONE -> skipped.get(SkipReason.ALLOCATION_GONE).increment();
    }
  }

  private void finishSkipped(Observation o, SkipReason reason, String why, boolean tell) {
    if (open.remove(o.target.allocationId()) == null) return;
    skipped.get(reason).increment();
    if (tell) sink.notObserved(o.target.allocationId(), reason, why);
  }

  /** One allocation being watched; mutated by the observer's thread only, read through {@link #progress}. */
  private static final class Observation {
    final Target target;
    final long startMillis;
    long firstMillis = -1;
    int failedReads;
    final List<PodSample> samples = new ArrayList<>();
    /** The pod's metrics, one scrape per reading (declared service level only). */
    final List<Scrape> scrapes = new ArrayList<>();
    int droppedScrapes, droppedFailures;
    double smSum;
    int throttled;
    long peak;
    volatile Progress progress;

    Observation(Target target, long startMillis) {
      this.target = target;
      this.startMillis = startMillis;
      this.progress = new Progress(0, 0, 0, 0, "waiting for the pod's first GPU process");
    }

    void add(PodSample s) {
      samples.add(s);
      smSum += s.smPercent();
      if (s.smPercent() >= ObservationRules.throttleThreshold(target.grantedCores())) throttled++;
      peak = Math.max(peak, s.memoryMib());
      progress = new Progress(samples.size(), smSum / samples.size(), throttled, peak,
          "observing: " + samples.size() + " readings since the first process");
    }
  }
}
