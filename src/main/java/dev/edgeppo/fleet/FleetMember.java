package dev.edgeppo.fleet;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeppo.log.Events;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One agent's side of a fleet (SPEC §7, docs/fleet.md): {@link #publish} writes this agent's own
 * FleetPolicy object and no other, so no two agents ever write the same object and no leader is needed;
 * {@link #pull} reads every object of the fleet, ignores what it cannot use (with the reason counted and
 * logged once), and when a peer has something new merges them all ({@link RobustMerge}) and moves the
 * learner there. {@link #sync} is one round of both. Not thread-safe: one caller (the fleet loop, or a
 * simulated node's thread).
 */
public final class FleetMember {
  private static final Logger LOG = Logger.getLogger(FleetMember.class.getName());
  /** Writes of our own object that are refused for a conflict are retried this many times, each after a fresh read. */
  static final int WRITE_ATTEMPTS = 4;

  /** What the agents of a fleet share (docs/fleet.md): their policies' parameters (merged), their experiences (trained on), or both. */
  public enum Sharing {
    BOTH, PARAMETERS, EXPERIENCE;

    public boolean parameters() { return this != EXPERIENCE; }
    public boolean experience() { return this != PARAMETERS; }
    public String json() { return name().toLowerCase(java.util.Locale.ROOT); }

    public static Sharing of(String s) {
      for (Sharing v : values()) if (v.json().equals(s)) return v;
      throw new IllegalArgumentException("fleet sharing must be one of both, parameters, experience; got '" + s + "'");
    }
  }

  /**
   * @param staleAfter an object not written for this long is ignored (its agent has left or is cut off)
   * @param heartbeat  our object is rewritten at least this often even when nothing was learned, so that
   *                   others do not take us for gone
   * @param stepMax    at most this many agents' progress is added up in one merge (docs/fleet.md, "The merge"); 1 is
   *                   plain federated averaging
   * @param sharing    what is used of the peers' objects (experience only when the learner {@linkplain
   *                   FleetLearner#sharesExperience shares it})
   */
  public record Settings(String fleet, String agent, Duration staleAfter, Duration heartbeat, double stepMax, InstantSource clock,
                         Sharing sharing) {
    public Settings {
      if (!(stepMax >= 1) || !Double.isFinite(stepMax)) throw new IllegalArgumentException("fleet step must be >= 1, got " + stepMax);
      FleetNames.requireLabelValue("fleet", fleet);
      FleetNames.requireLabelValue("agent", agent);
      if (heartbeat.compareTo(staleAfter) >= 0) throw new IllegalArgumentException("heartbeat must be shorter than staleAfter");
      Objects.requireNonNull(clock);
      Objects.requireNonNull(sharing);
    }

    /** SPEC §7's defaults for a sync period: stale after 10 periods, a heartbeat every 3; parameters and experience shared. */
    public static Settings forPeriod(String fleet, String agent, Duration period, double stepMax, InstantSource clock) {
      return new Settings(fleet, agent, period.multipliedBy(10), period.multipliedBy(3), stepMax, clock, Sharing.BOTH);
    }

    public Settings with(Sharing sharing) {
      return new Settings(fleet, agent, staleAfter, heartbeat, stepMax, clock, sharing);
    }
  }

  /**
   * A peer whose new experiences surprise this agent's critic more than this many times as much as the median
   * of the others' (its own included) is refused this round: mean (r − V(s))² measures how far a peer's
   * rewards are from what this agent expects in the same states; broken feedback or another GPU's is far
   * (docs/fleet.md, "Experience", measured).
   */
  static final double SURPRISE_FACTOR = 3.0;
  /**
   * ... and never when its surprise is under this (rewards within 0.1 RMS of what this agent expects; SPEC §1's
   * rewards span about 2): a fleet whose critics have all learned well must not refuse peers over noise.
   */
  static final double SURPRISE_FLOOR = 0.01;
  /** A peer's surprise is measured on its newest experiences, this many at most (new or not: a steadier estimate than a round's few). */
  static final int SURPRISE_SAMPLE = 64;

  private final FleetStore store;
  private final FleetLearner learner;
  private final Settings s;
  private final String ownName;

  private String ownVersion;
  private long generation;
  private long publishedUpdates = -1;
  private Instant publishedAt = Instant.EPOCH;
  /** The learner's own-update count at the last merge, and the fleet's experience then. */
  private long updatesAtMerge;
  private long fleetExperienceAtMerge;
  /** The policy the last merge left (at start: what the learner held): own delta = params − base. */
  private float[] base;
  /** name → generation of each peer object the last merge used: a merge needs something new. */
  private Map<String, Long> mergedGenerations = Map.of();
  /** (name, resourceVersion) of objects already logged as rejected: each is logged once. */
  private final Map<String, String> loggedRejections = new HashMap<>();

  private final AtomicLong syncs = new AtomicLong(), failedSyncs = new AtomicLong(), conflicts = new AtomicLong(),
      merges = new AtomicLong(), writes = new AtomicLong(), bytesWritten = new AtomicLong();
  private final Map<PolicyShare.Rejection, AtomicLong> rejected = new EnumMap<>(PolicyShare.Rejection.class);
  private volatile int fleetSize = 1;
  private volatile Instant lastMerge;
  private volatile Instant lastSync;
  private volatile String lastError;
  private volatile int lastClipped;
  private volatile double lastStep = 1;
  /** name → the highest seq of that peer's experiences already used or refused: each is read once. */
  private final Map<String, Long> seenThrough = new HashMap<>();
  /** The highest seq of our own experiences written so far (what is new for the shared count). */
  private long sharedThrough = -1;
  private final AtomicLong experiencesShared = new AtomicLong(), experiencesUsed = new AtomicLong(), experiencesRejected = new AtomicLong(),
      experiencesSkipped = new AtomicLong();
  /** Samples peers when more have new experiences than a round uses; seeded by the agent, so a simulation repeats. */
  private final java.util.SplittableRandom sampler;
  /** Per stepped tensor: the fleet step's multiplier, and the progress of the last merge. */
  private double[] multipliers;
  private float[] lastProgress;

  public FleetMember(FleetStore store, FleetLearner learner, Settings settings) {
    this.store = Objects.requireNonNull(store);
    this.learner = Objects.requireNonNull(learner);
    this.s = Objects.requireNonNull(settings);
    this.ownName = FleetNames.objectName(s.fleet(), s.agent());
    for (PolicyShare.Rejection r : PolicyShare.Rejection.values()) rejected.put(r, new AtomicLong());
    this.base = learner.learned().params();
    this.sampler = new java.util.SplittableRandom(ownName.hashCode());
  }

  private boolean sharesExperience() { return s.sharing().experience() && learner.sharesExperience(); }

  /** One round: write our object (if there is something new or a heartbeat is due), then read and merge. */
  public void sync() throws FleetStore.Unavailable {
    try {
      publish();
      pull();
      syncs.incrementAndGet();
      lastSync = s.clock().instant();
      lastError = null;
    } catch (FleetStore.Unavailable e) {
      failedSyncs.incrementAndGet();
      lastError = e.getMessage();
      throw e;
    }
  }

  /** Experiences this agent learned since its last merge. */
  private long localExperience(long ownUpdates) { return Math.max(0, ownUpdates - updatesAtMerge) * learner.batchSize(); }

  /**
   * Writes our object whole when the learner ran an update or has new own experiences to share since the last write
   * (a new generation); when only the heartbeat is due, touches its publishedAt (same generation: no news for the others to merge).
   */
  public void publish() throws FleetStore.Unavailable {
    if (!learner.learns()) return;
    FleetLearner.Learned l = learner.learned();
    Instant now = s.clock().instant();
    List<SharedExperience> mine = sharesExperience() ? learner.recentExperiences() : List.of();
    if (mine.size() > FleetNames.SHARED_EXPERIENCES) mine = mine.subList(mine.size() - FleetNames.SHARED_EXPERIENCES, mine.size());
    // New own experiences are news too: the peers train on them without waiting for this agent's next update.
    boolean newExperiences = !mine.isEmpty() && mine.getLast().seq() > sharedThrough;
    if (l.updates() == publishedUpdates && !newExperiences) {
      if (now.isBefore(publishedAt.plus(s.heartbeat()))) return;
      // Nothing learned since the last write: a heartbeat, which says "still here" and is no news to merge.
      if (ownVersion != null) {
        try {
          ownVersion = store.touch(ownName, ownVersion, now).resourceVersion();
          publishedAt = now;
          writes.incrementAndGet();
          bytesWritten.addAndGet(KubeFleetStore.touchPatch(ownVersion, now).length());
          return;
        } catch (FleetStore.Conflict c) {
          conflicts.incrementAndGet();
          ownVersion = null; // someone else wrote it: write it whole below
        }
      }
    }
    long local = localExperience(l.ownUpdates());
    PolicyShare share = new PolicyShare(s.fleet(), s.agent(), FleetNames.FORMAT, learner.hidden(), learner.actionMapping(),
        l.params(), delta(l.params()), fleetExperienceAtMerge + local, local, l.updates(), generation + 1, now, mine);
    ObjectNode spec = share.toSpec();
    int bytes = spec.toString().length();
    if (bytes > FleetNames.MAX_OBJECT_BYTES)
      throw new IllegalStateException("the FleetPolicy spec would be " + bytes + " bytes, over the limit of " + FleetNames.MAX_OBJECT_BYTES
          + " (hidden " + learner.hidden() + " is too large to share)");
    for (int attempt = 1; ; attempt++) {
      try {
        FleetStore.Stored stored;
        if (ownVersion == null) {
          Optional<FleetStore.Stored> existing = store.get(ownName);
          stored = existing.isPresent()
              ? store.replace(ownName, existing.get().resourceVersion(), s.fleet(), s.agent(), spec)
              : store.create(ownName, s.fleet(), s.agent(), spec);
        } else {
          stored = store.replace(ownName, ownVersion, s.fleet(), s.agent(), spec);
        }
        ownVersion = stored.resourceVersion();
        generation++;
        publishedUpdates = l.updates();
        publishedAt = now;
        writes.incrementAndGet();
        bytesWritten.addAndGet(bytes);
        for (SharedExperience e : mine) if (e.seq() > sharedThrough) experiencesShared.incrementAndGet();
        if (!mine.isEmpty()) sharedThrough = Math.max(sharedThrough, mine.getLast().seq());
        return;
      } catch (FleetStore.Conflict c) {
        // Someone wrote our object since we last did (a previous run of this agent, a person with kubectl):
        // what we hold is newer for us, so we read its version and write again. Nothing of ours is lost: the
        // learner still holds it, and the next attempt writes it.
        conflicts.incrementAndGet();
        ownVersion = null;
        if (attempt >= WRITE_ATTEMPTS) throw new FleetStore.Unavailable("writing " + ownName + " conflicted " + attempt + " times: " + c.getMessage(), c);
      }
    }
  }

  private float[] delta(float[] params) {
    if (base == null) base = params.clone();
    float[] d = new float[params.length];
    for (int j = 0; j < d.length; j++) d[j] = params[j] - base[j];
    return d;
  }

  /** A usable peer object. */
  private record Peer(String name, PolicyShare share) {}

  /** Reads every object of the fleet and merges when a peer has something new. */
  public void pull() throws FleetStore.Unavailable {
    List<FleetStore.Stored> all = store.list(s.fleet());
    Instant now = s.clock().instant();
    FleetLearner.Learned own = learner.learned();
    int count = own.params().length;
    List<Peer> peers = new ArrayList<>();
    for (FleetStore.Stored o : all) {
      if (o.name().equals(ownName)) continue;
      try {
        if (o.bytes() > FleetNames.MAX_OBJECT_BYTES)
          throw new PolicyShare.Rejected(PolicyShare.Rejection.TOO_LARGE, o.bytes() + " bytes, over " + FleetNames.MAX_OBJECT_BYTES);
        PolicyShare p = PolicyShare.fromSpec(o.spec(), learner.hidden(), learner.actionMapping(), count);
        if (!p.fleet().equals(s.fleet()))
          throw new PolicyShare.Rejected(PolicyShare.Rejection.MALFORMED, "spec.fleet '" + p.fleet() + "' differs from its label");
        if (p.publishedAt().isBefore(now.minus(s.staleAfter())))
          throw new PolicyShare.Rejected(PolicyShare.Rejection.STALE, "last written " + p.publishedAt() + ", more than "
              + s.staleAfter().toSeconds() + " s ago");
        peers.add(new Peer(o.name(), p));
      } catch (PolicyShare.Rejected r) {
        rejected.get(r.reason).incrementAndGet();
        if (!o.resourceVersion().equals(loggedRejections.put(o.name(), o.resourceVersion())))
          Events.log(LOG, Level.WARNING, "fleet object ignored", Map.of("object", o.name(), "reason", r.reason.label, "why", r.getMessage()));
      }
    }
    fleetSize = 1 + peers.size();
    List<Peer> useful = peers.stream().filter(p -> p.share().experience() > 0).toList();
    Map<String, Long> generations = new HashMap<>();
    for (Peer p : useful) generations.put(p.name(), p.share().generation());
    // Only something new is worth a merge: merging the same objects again would pull this agent towards them
    // once more, as if they had learned it twice. (A peer that left is no news.)
    boolean news = useful.stream().anyMatch(p -> !Objects.equals(mergedGenerations.get(p.name()), p.share().generation()));
    if (news && s.sharing().parameters()) merge(own, useful, generations, now);
    if (sharesExperience()) useExperiences(peers);
  }

  private void merge(FleetLearner.Learned own, List<Peer> useful, Map<String, Long> generations, Instant now) {
    int count = own.params().length;
    long ownLocal = localExperience(own.ownUpdates()), ownExperience = fleetExperienceAtMerge + ownLocal;
    record Named(String name, float[] params, float[] delta, long experience, long local, boolean fresh) {}
    List<Named> in = new ArrayList<>();
    // An agent that has learned nothing yet (fresh) does not pull the fleet back towards the untrained policy.
    if (ownExperience > 0) in.add(new Named(ownName, own.params(), delta(own.params()), ownExperience, ownLocal, ownLocal > 0));
    for (Peer p : useful) {
      Long seen = mergedGenerations.get(p.name());
      boolean fresh = p.share().localExperience() > 0 && (seen == null || seen != p.share().generation());
      in.add(new Named(p.name(), p.share().params(), p.share().delta(), p.share().experience(), p.share().localExperience(), fresh));
    }
    // The same order on every agent: equal inputs give equal results (to the rounding of adding them as a delta).
    in.sort(Comparator.comparing(Named::name));
    List<RobustMerge.Contribution> centre = new ArrayList<>(), progress = new ArrayList<>();
    long learnedSince = 0, before = 0;
    for (Named n : in) {
      centre.add(new RobustMerge.Contribution(n.params(), n.local() + 1.0));
      if (n.fresh()) progress.add(new RobustMerge.Contribution(n.delta(), n.local()));
      learnedSince += n.local();
      before = Math.max(before, n.experience() - n.local());
    }
    // The robust centre of the policies is federated averaging: it moves by the mean of what each learned
    // (measured: a fleet that only averages learns no faster per node than a node alone; docs/fleet.md).
    // k agents that learned the same thing should move about k times as far as one, so per tensor of the
    // actor the robust mean D of their progress is added m − 1 more times, where m ("bold driver", as Rprop)
    // doubles at each merge whose D points the same way as the last one's on that tensor, up to
    // min(k, stepMax), and falls back to 1 (plain averaging) as soon as it turns: the fleet overshot. log_std
    // and the critic are averaged only: stepped too, the policy overshot into granting every ask and stayed
    // there (measured, docs/fleet.md).
    RobustMerge.Result r = RobustMerge.merge(centre);
    float[] merged = r.params();
    lastStep = 1;
    if (progress.size() > 1) {
      float[] d = RobustMerge.merge(progress).params();
      double most = Math.min(s.stepMax(), progress.size()), steps = 0;
      List<int[]> tensors = learner.steppedTensors();
      if (multipliers == null || multipliers.length != tensors.size()) {
        multipliers = new double[tensors.size()];
        java.util.Arrays.fill(multipliers, 1);
        lastProgress = null;
      }
      for (int k = 0; k < tensors.size(); k++) {
        int[] t = tensors.get(k);
        boolean onward = lastProgress != null && dot(d, lastProgress, t[0], t[1]) > 0;
        multipliers[k] = onward ? Math.min(multipliers[k] * 2, most) : 1;
        double extra = multipliers[k] - 1;
        steps += extra;
        for (int j = t[0]; j < t[1]; j++) merged[j] += (float) (extra * d[j]);
      }
      lastProgress = d;
      lastStep = 1 + steps / tensors.size();
    }
    float[] delta = new float[count];
    for (int j = 0; j < count; j++) delta[j] = merged[j] - own.params()[j];
    learner.shift(delta);
    base = merged;
    updatesAtMerge = own.ownUpdates();
    fleetExperienceAtMerge = before + learnedSince;
    mergedGenerations = generations;
    merges.incrementAndGet();
    lastMerge = now;
    lastClipped = r.clipped();
  }

  /**
   * Trains on what the peers experienced since this agent last read them (docs/fleet.md, "Experience"): each
   * experience is read once (per peer, the seqs above the last one seen; a peer whose seqs went back, a
   * fresh journal, starts over). Bounded per round: at most {@value FleetNames#PEERS_PER_ROUND} peers, sampled
   * among those with new experiences; a peer whose experiences surprise this agent's critic far more than the
   * others' is refused ({@link #SURPRISE_FACTOR}); each peer gives at most as many as the median accepted peer,
   * and all together at most {@value FleetNames#PEER_EXPERIENCES_PER_ROUND}.
   */
  private void useExperiences(List<Peer> peers) {
    record Fresh(String name, List<SharedExperience> es, List<SharedExperience> all, double surprise) {}
    List<Fresh> fresh = new ArrayList<>();
    for (Peer p : peers) {
      List<SharedExperience> es = p.share().experiences();
      if (es.isEmpty()) continue;
      long seen = seenThrough.getOrDefault(p.name(), -1L);
      if (es.getLast().seq() < seen) seen = -1; // its seqs went back: a fresh journal, all of it is new
      long through = seen;
      List<SharedExperience> news = es.stream().filter(e -> e.seq() > through).toList();
      if (!news.isEmpty()) fresh.add(new Fresh(p.name(), news, es, 0));
    }
    if (fresh.isEmpty()) return;
    // A sample, not everyone: the per-agent cost of a round stays the same in a fleet of 8 or of 1,000.
    while (fresh.size() > FleetNames.PEERS_PER_ROUND) fresh.remove(sampler.nextInt(fresh.size()));
    for (Fresh f : fresh) seenThrough.put(f.name(), f.es().getLast().seq());
    List<Fresh> judged = new ArrayList<>();
    for (Fresh f : fresh) judged.add(new Fresh(f.name(), f.es(), f.all(), surprise(newest(f.all()))));
    List<SharedExperience> mine = learner.recentExperiences();
    double ownSurprise = mine.isEmpty() ? Double.NaN : surprise(newest(mine));
    List<Fresh> accepted = new ArrayList<>();
    for (Fresh f : judged) {
      // Leave-one-out: each peer against the median of the others and of this agent's own experiences.
      List<Double> others = new ArrayList<>();
      if (!Double.isNaN(ownSurprise)) others.add(ownSurprise);
      for (Fresh g : judged) if (g != f) others.add(g.surprise());
      if (!others.isEmpty() && f.surprise() > Math.max(SURPRISE_FLOOR, SURPRISE_FACTOR * median(others))) {
        experiencesRejected.addAndGet(f.es().size());
        continue;
      }
      accepted.add(f);
    }
    if (accepted.isEmpty()) return;
    List<Double> counts = new ArrayList<>();
    for (Fresh f : accepted) counts.add((double) f.es().size());
    int perPeer = (int) Math.max(1, Math.ceil(median(counts)));
    int total = 0;
    for (Fresh f : accepted) total += Math.min(perPeer, f.es().size());
    double scale = Math.min(1.0, FleetNames.PEER_EXPERIENCES_PER_ROUND / (double) total);
    List<SharedExperience> train = new ArrayList<>();
    for (Fresh f : accepted) {
      int take = (int) Math.floor(Math.min(perPeer, f.es().size()) * scale);
      // The newest: the ones closest to the policy that acts now.
      train.addAll(f.es().subList(f.es().size() - take, f.es().size()));
      experiencesSkipped.addAndGet(f.es().size() - take);
    }
    // Mixed, so that a batch holds several peers' experiences rather than one peer's run.
    java.util.Collections.shuffle(train, sampler);
    if (train.isEmpty()) return;
    learner.trainOnPeers(train);
    experiencesUsed.addAndGet(train.size());
  }

  private static List<SharedExperience> newest(List<SharedExperience> es) {
    return es.subList(Math.max(0, es.size() - SURPRISE_SAMPLE), es.size());
  }

  /** Mean (r − V(s))² of {@code es} under this agent's critic: how far their rewards are from what it expects. */
  private double surprise(List<SharedExperience> es) {
    double sum = 0;
    for (SharedExperience e : es) {
      double d = e.reward() - learner.value(e.state());
      sum += d * d;
    }
    return sum / es.size();
  }

  private static double median(List<Double> v) {
    double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
    return RobustMerge.median(a);
  }

  static double dot(float[] a, float[] b, int from, int to) {
    double s = 0;
    for (int j = from; j < to; j++) s += (double) a[j] * b[j];
    return s;
  }

  // ---- what /metrics and /v1/policy show ----

  public String fleet() { return s.fleet(); }
  public String agent() { return s.agent(); }
  public String objectName() { return ownName; }
  public long syncs() { return syncs.get(); }
  public long failedSyncs() { return failedSyncs.get(); }
  public long conflicts() { return conflicts.get(); }
  public long merges() { return merges.get(); }
  public long writes() { return writes.get(); }
  public long bytesWritten() { return bytesWritten.get(); }
  public long rejected(PolicyShare.Rejection r) { return rejected.get(r).get(); }
  /** Agents whose objects the last successful read could use, this one included. */
  public int fleetSize() { return fleetSize; }
  /** Experiences behind the policy as of the last merge (the fleet's count), plus this agent's since. */
  public long experience() { return fleetExperienceAtMerge + localExperience(learner.learned().ownUpdates()); }
  /** Own experiences written to our object (each counted once); peers' trained on; refused as surprising; left over by the round's caps. */
  public long experiencesShared() { return experiencesShared.get(); }
  public long experiencesUsed() { return experiencesUsed.get(); }
  public long experiencesRejected() { return experiencesRejected.get(); }
  public long experiencesSkipped() { return experiencesSkipped.get(); }
  /** Seconds since the last merge, or NaN before the first. */
  public double lastMergeAgeSeconds() {
    Instant m = lastMerge;
    return m == null ? Double.NaN : Duration.between(m, s.clock().instant()).toMillis() / 1000.0;
  }

  public Map<String, Object> state(String storeDescription) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", s.fleet());
    out.put("agent", s.agent());
    out.put("object", ownName);
    out.put("store", storeDescription);
    out.put("connected", lastError == null && lastSync != null);
    out.put("last_error", lastError);
    out.put("size", fleetSize);
    out.put("experience", experience());
    out.put("syncs", syncs.get());
    out.put("failed_syncs", failedSyncs.get());
    out.put("conflicts", conflicts.get());
    out.put("merges", merges.get());
    double age = lastMergeAgeSeconds();
    out.put("last_merge_age_seconds", Double.isNaN(age) ? null : age);
    out.put("last_merge_clipped", lastClipped);
    out.put("last_merge_step", lastStep);
    out.put("writes", writes.get());
    Map<String, Long> rej = new LinkedHashMap<>();
    rejected.forEach((k, v) -> rej.put(k.label, v.get()));
    out.put("rejected", rej);
    Map<String, Object> ex = new LinkedHashMap<>();
    ex.put("sharing", s.sharing().json());
    ex.put("active", sharesExperience());
    ex.put("shared", experiencesShared.get());
    ex.put("used", experiencesUsed.get());
    ex.put("rejected", experiencesRejected.get());
    ex.put("skipped", experiencesSkipped.get());
    out.put("experiences", ex);
    return out;
  }
}
