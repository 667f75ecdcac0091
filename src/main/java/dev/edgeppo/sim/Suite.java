package dev.edgeppo.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeppo.backend.Backends;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.ppo.UpdateMetrics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * {@code simulate}'s scenario suite: every {@link UsageModel} on every arrival shape (trace-shaped asks,
 * the synthetic mix) with every seed. In each cell the agent learns from scratch in train mode, with the
 * hyperparameters it is given (serve's defaults unless told otherwise), on the first N arrivals (N = the
 * largest checkpoint). At 0 feedbacks (untrained) and at each checkpoint its policy is frozen and scored
 * in infer mode on the {@code evalFeedbacks} arrivals that follow, where grant_requested, fixed_fraction,
 * random and the demand-aware reference are scored too, each on a fresh node, the {@link Hindsight} reference
 * is searched from all their grants, and the {@link HindsightBound} is worked out for the same pods; at the checkpoint the
 * share criterion reads (and any later one) the {@link StateLimitedHindsight} reference too, the best table from SPEC §1's
 * state found with the future known, beside the criterion. So every policy meets the same pods, and a model that shifts halfway
 * through the learning (at N/2) is scored on the model in force at each point.
 *
 * <p>What SPEC §6 asks: see {@link #failures(Result)}. "Headroom captured" is PPO's margin over
 * grant_requested as a share of the hindsight reference's: at most 100 % by construction (the search starts
 * from PPO's own grants); how far the proven bound lies above the hindsight reference is the uncertainty left.
 */
public final class Suite {
  public static final double UNTRAINED_TOLERANCE = 0.05;
  public static final double TRAIN_TOLERANCE = 0.10;
  /** The first thousand: a node sees few pods, so SPEC §6 asks learning to be cheap and to pay this early. */
  public static final int FIRST_STRETCH = 1000;
  public static final int LEARNING_STRETCH = 3000;
  /** The stretches whose train-mode mean SPEC §6 holds within {@link #TRAIN_TOLERANCE} of grant_requested. */
  public static final List<Integer> TRAIN_STRETCHES = List.of(FIRST_STRETCH, LEARNING_STRETCH);
  /** The checkpoints the suite scores PPO at unless told otherwise. */
  public static final List<Integer> DEFAULT_CHECKPOINTS = List.of(250, 500, FIRST_STRETCH, LEARNING_STRETCH);
  /**
   * The demand-aware reference's headroom over grant_requested below this: granting less barely pays for a
   * policy that sees only the ask and the node, and no margin is asked of PPO there. (The hindsight reference's
   * headroom is no guide to that: it knows each pod's future, which no policy does.)
   */
  public static final double HEADROOM = 0.075;
  /** What "beats by a clear margin" means: at least this much mean reward a pod. */
  public static final double CLEAR_MARGIN = 0.02;
  /** SPEC §6 "holds most of the headroom": the median over the judged cells of the share of the hindsight reference's headroom at {@link #LEARNING_STRETCH}. */
  public static final double MEDIAN_CAPTURED = 0.60;
  public static final List<String> ARRIVALS = List.of("trace", "synthetic");
  /**
   * Share of simulated pods that declare a service level by default: a minority, as in a cluster where the
   * inference servers (vLLM, Triton) publish latency histograms and batch jobs and notebooks do not.
   */
  public static final double DEFAULT_SLO_SHARE = 0.3;

  /** The policies played on each point's arrivals as they come (each also a seed of {@link Hindsight}'s search). */
  public static final List<String> SIMULATED = List.of("ppo", "grant_requested", "fixed_fraction", "random", "demand_aware");
  /**
   * Scored on each point's arrivals: the simulated policies, {@code hindsight} (searched with hindsight from
   * their grants, {@link Hindsight}) and {@code bound} (proven, worked out not simulated, {@link HindsightBound}).
   */
  public static final List<String> POLICIES = java.util.stream.Stream.concat(SIMULATED.stream(), java.util.stream.Stream.of("hindsight", "bound")).toList();
  /** Scored only at {@link Config#stateLimitedPoints()}: the {@link StateLimitedHindsight} reference. */
  public static final String STATE_LIMITED = StateLimitedHindsight.NAME;
  /**
   * The state-limited reference's table fitted on the arrivals before the point (at most {@link #LEARNING_STRETCH}
   * of them, those PPO learned on last) and played on the point's: what such a table learned from the past does.
   */
  public static final String STATE_LIMITED_HELD_OUT = "state_limited_held_out";
  /**
   * The table a bucket-by-bucket learner of each pod's own reward settles at ({@link StateLimitedHindsight#ownReward}),
   * on the point's arrivals: how much of the state-limited reference's gain SPEC §1's reward of one allocation
   * credits to the grant that made it.
   */
  public static final String STATE_LIMITED_OWN = "state_limited_own";
  /** Whole replays of a stretch each state-limited search makes: reading the states, two seeds, the final table. */
  static final int STATE_LIMITED_REPLAYS = 4;
  /** Whole replays of a stretch the own-reward search makes: reading the states, the start, the final table. */
  static final int STATE_LIMITED_OWN_REPLAYS = 3;

  /** Told (pods simulated so far, pods in all) as the suite goes; called from several threads. */
  public interface Progress {
    void update(long done, long total);
  }

  public record Config(List<UsageModel> scenarios, List<String> arrivals, List<Long> seeds, List<Integer> checkpoints,
                       int evalFeedbacks, Hyperparameters hp, String backend, double fraction, double concurrency,
                       TraceReplay trace, int threads, double sloShare) {
    /** As before the simulator spoke service levels: {@link #DEFAULT_SLO_SHARE} of pods declare one. */
    public Config(List<UsageModel> scenarios, List<String> arrivals, List<Long> seeds, List<Integer> checkpoints,
                  int evalFeedbacks, Hyperparameters hp, String backend, double fraction, double concurrency,
                  TraceReplay trace, int threads) {
      this(scenarios, arrivals, seeds, checkpoints, evalFeedbacks, hp, backend, fraction, concurrency, trace, threads,
          DEFAULT_SLO_SHARE);
    }

    public Config {
      scenarios = List.copyOf(scenarios);
      arrivals = List.copyOf(arrivals);
      seeds = List.copyOf(seeds);
      checkpoints = checkpoints.stream().sorted().distinct().toList();
      if (scenarios.isEmpty() || arrivals.isEmpty() || seeds.isEmpty() || checkpoints.isEmpty())
        throw new IllegalArgumentException("the suite needs at least one scenario, arrival shape, seed and checkpoint");
      for (String a : arrivals)
        if (!ARRIVALS.contains(a)) throw new IllegalArgumentException("arrivals must be among " + ARRIVALS + ", got '" + a + "'");
      if (checkpoints.getFirst() < 1) throw new IllegalArgumentException("checkpoints must be >= 1, got " + checkpoints.getFirst());
      if (evalFeedbacks < 1) throw new IllegalArgumentException("eval feedbacks must be >= 1, got " + evalFeedbacks);
      if (!(fraction > 0 && fraction <= 1)) throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
      if (!(concurrency > 0)) throw new IllegalArgumentException("concurrency must be > 0, got " + concurrency);
      if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
      if (!(sloShare >= 0 && sloShare <= 1)) throw new IllegalArgumentException("slo share must be in [0, 1], got " + sloShare);
    }

    public int trainCount() { return checkpoints.getLast(); }

    /** The points PPO is scored at: untrained (0) and each checkpoint. */
    public List<Integer> points() {
      List<Integer> p = new ArrayList<>();
      p.add(0);
      p.addAll(checkpoints);
      return p;
    }

    /** The checkpoint the "beats grant_requested" criterion reads: the last at or before the first stretch. */
    public int judged() { return lastAtOrBefore(FIRST_STRETCH); }

    /** The checkpoint the "share of the headroom" criterion reads: the last at or before the learning stretch. */
    public int capturedAt() { return lastAtOrBefore(LEARNING_STRETCH); }

    int lastAtOrBefore(int n) {
      int j = checkpoints.getFirst();
      for (int c : checkpoints) if (c <= n) j = c;
      return j;
    }

    /** The train stretches SPEC §6 reads, as checkpoints of this run (the last at or before each). */
    public List<Integer> trainStretches() { return TRAIN_STRETCHES.stream().map(this::lastAtOrBefore).distinct().toList(); }

    /**
     * The points the {@link StateLimitedHindsight} reference is searched at: the checkpoint the share criterion
     * reads and any later one (it is evidence about that criterion; computing it at every point would cost the
     * suite more than it tells).
     */
    public List<Integer> stateLimitedPoints() { return checkpoints.stream().filter(cp -> cp >= capturedAt()).toList(); }

    /**
     * Pods simulated per cell: PPO's and grant_requested's training, every simulated policy and the hindsight
     * search at every point, and the state-limited reference's replays where it is searched.
     */
    public long podsPerCell() {
      long state = 0;
      for (int cp : stateLimitedPoints())
        state += STATE_LIMITED_REPLAYS * ((long) evalFeedbacks + heldOutFit(cp)) + (1L + STATE_LIMITED_OWN_REPLAYS) * evalFeedbacks;
      return 2L * trainCount() + (long) points().size() * (SIMULATED.size() + 1) * evalFeedbacks + state;
    }

    /** How many arrivals before point {@code cp} the held-out state-limited table is fitted on. */
    public int heldOutFit(int cp) { return Math.min(cp, LEARNING_STRETCH); }
  }

  /** What the learner looked like at a checkpoint: the last update's signals. */
  public record Learner(long updates, double[] std, double clipFraction, double approxKl, double explainedVariance,
                        double gradNorm, double entropy) {
    static Learner of(long updates, UpdateMetrics m) {
      if (m == null) return new Learner(updates, null, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
      return new Learner(updates, m.std(), m.clipFraction(), m.approxKl(), m.explainedVariance(), m.gradNorm(), m.entropy());
    }
  }

  /** One scored stretch: mean reward, the share of the asked cores granted, and (PPO) where its mean actions sat. */
  public record Score(PolicyStats stats, double grantShare, PpoPolicy.MeanActions meanActions) {
    public double reward() { return stats.meanReward(); }
  }

  public record Cell(UsageModel scenario, String arrivals, long seed) {}

  /**
   * @param eval  checkpoint → policy → its score on the arrivals after that checkpoint
   * @param train checkpoint → PPO's train-mode and grant_requested's score on the arrivals before it
   */
  public record CellResult(Cell cell, Map<Integer, Map<String, Score>> eval, Map<Integer, Map<String, Score>> train,
                           Map<Integer, Learner> learner, FirstStretch losses, Map<Integer, GrantShares> grantShares) {
    /** The demand-aware reference's headroom over grant_requested at {@code c}: whether granting less pays. */
    public double headroom(int c) { return margin(c, "demand_aware"); }

    /** The proven bound's headroom over grant_requested at {@code c}: no policy gains more. */
    public double boundHeadroom(int c) { return margin(c, "bound"); }

    /** The hindsight reference's headroom over grant_requested at {@code c}: what a policy knowing the future was found to gain. */
    public double hindsightHeadroom(int c) { return margin(c, "hindsight"); }

    /** How far the hindsight reference is below the proven bound at {@code c}: the uncertainty left about the best possible. */
    public double boundGap(int c) { return eval.get(c).get("bound").reward() - eval.get(c).get("hindsight").reward(); }

    public double margin(int c) { return margin(c, "ppo"); }

    double margin(int c, String policy) { return eval.get(c).get(policy).reward() - eval.get(c).get("grant_requested").reward(); }

    /**
     * Share of the hindsight reference's headroom PPO captured at {@code c}: at most 1, since the search starts
     * from PPO's own grants; NaN where granting less does not pay.
     */
    public double captured(int c) {
      return headroom(c) < HEADROOM ? Double.NaN : margin(c) / hindsightHeadroom(c);
    }

    /** Whether the state-limited reference was searched at {@code c}. */
    public boolean hasStateLimited(int c) { return eval.containsKey(c) && eval.get(c).containsKey(STATE_LIMITED); }

    /**
     * Share of the hindsight reference's headroom the state-limited reference holds at {@code c}: how much of what
     * knowing the future gains a policy seeing only SPEC §1's state can reach (NaN where not searched, or where
     * granting less does not pay).
     */
    public double stateLimitedCaptured(int c) { return stateLimitedShare(c, () -> margin(c, STATE_LIMITED) / hindsightHeadroom(c)); }

    /** Share of the hindsight reference's headroom the state-limited table fitted on the arrivals before {@code c} holds (NaN as above). */
    public double stateLimitedHeldOutCaptured(int c) {
      return stateLimitedShare(c, () -> margin(c, STATE_LIMITED_HELD_OUT) / hindsightHeadroom(c));
    }

    /** Share of the hindsight reference's headroom the own-reward table holds at {@code c} (NaN as above). */
    public double stateLimitedOwnCaptured(int c) { return stateLimitedShare(c, () -> margin(c, STATE_LIMITED_OWN) / hindsightHeadroom(c)); }

    /** PPO's share of the state-limited reference's headroom at {@code c} (NaN as above). */
    public double capturedOfStateLimited(int c) { return stateLimitedShare(c, () -> margin(c) / margin(c, STATE_LIMITED)); }

    private double stateLimitedShare(int c, java.util.function.DoubleSupplier share) {
      return !hasStateLimited(c) || headroom(c) < HEADROOM ? Double.NaN : share.getAsDouble();
    }

    /** PPO's share of the proven bound's headroom at {@code c}: the floor of what it captured of the true best. */
    public double boundCaptured(int c) {
      return headroom(c) < HEADROOM ? Double.NaN : margin(c) / boundHeadroom(c);
    }

    /** Share of the hindsight reference's headroom the demand-aware reference holds at {@code c}. */
    public double referenceCaptured(int c) {
      return headroom(c) < HEADROOM ? Double.NaN : headroom(c) / hindsightHeadroom(c);
    }

    public double trainGap(int c) { return train.get(c).get("ppo").reward() - train.get(c).get("grant_requested").reward(); }
  }

  public record Result(Config config, List<CellResult> cells) {}

  private Suite() {}

  public static Result run(Config c, Progress progress) throws InterruptedException {
    Backends.available(c.backend()).ifPresent(why -> { throw new IllegalArgumentException(why); });
    List<Cell> cells = new ArrayList<>();
    for (UsageModel m : c.scenarios()) for (String a : c.arrivals()) for (long s : c.seeds()) cells.add(new Cell(m, a, s));
    long total = c.podsPerCell() * cells.size();
    AtomicLong done = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(c.threads(), cells.size()));
    try {
      List<Future<CellResult>> futures = new ArrayList<>();
      for (Cell cell : cells) futures.add(pool.submit(() -> runCell(c, cell, n -> progress.update(done.addAndGet(n), total))));
      List<CellResult> out = new ArrayList<>();
      for (Future<CellResult> f : futures) {
        try {
          out.add(f.get());
        } catch (java.util.concurrent.ExecutionException e) {
          if (e.getCause() instanceof RuntimeException re) throw re;
          throw new IllegalStateException(e.getCause());
        }
      }
      return new Result(c, out);
    } finally {
      pool.shutdownNow();
    }
  }

  /** The arrivals of one cell with the scenario's hidden usage: the first N train, the rest are scored. */
  static List<SimPod> pods(Config c, Cell cell) { return pods(c, cell, shiftAt(c)); }

  /** The shift comes halfway through the learning stretch, so the last checkpoint scores the model after it. */
  static int shiftAt(Config c) { return c.trainCount() / 2; }

  /** As {@link #pods(Config, Cell)} with the shift at arrival {@code shiftAt} (the same asks and draws). */
  static List<SimPod> pods(Config c, Cell cell, int shiftAt) {
    int count = c.trainCount() + c.evalFeedbacks();
    List<SimPod> asked = switch (cell.arrivals()) {
      case "trace" -> c.trace().pods(count, cell.seed(), c.concurrency());
      case "synthetic" -> ArrivalProcess.synthetic(count, cell.seed(), c.concurrency());
      default -> throw new IllegalArgumentException(cell.arrivals());
    };
    return cell.scenario().apply(asked, cell.seed(), shiftAt);
  }

  static CellResult runCell(Config c, Cell cell, java.util.function.LongConsumer progress) {
    List<SimPod> all = pods(c, cell);
    // A point before the shift is scored on the model in force then: the same arrivals with no shift
    // (its scored stretch would otherwise reach past the shift, into usage it could not have seen).
    List<SimPod> unshifted = pods(c, cell, Integer.MAX_VALUE);
    CoTenants co = cell.scenario().coTenants(cell.seed());
    int n = c.trainCount();
    List<SimPod> train = all.subList(0, n);
    Map<Integer, PpoLearner.Snapshot> snapshots = new TreeMap<>();
    Map<Integer, Learner> learner = new TreeMap<>();
    List<SimulationRunner.Outcome> ppoTrain, grantTrain;
    try (PpoLearner l = dev.edgeppo.agent.Agent.learner(c.hp(), Backends.choose(c.backend()).backend(), cell.seed(), null)) {
      snapshots.put(0, l.snapshot());
      learner.put(0, Learner.of(0, null));
      ppoTrain = SimulationRunner.run(train, n, co, c.sloShare(), node -> PpoPolicy.training(l, node, cell.seed()).afterFeedback(f -> {
        if (c.checkpoints().contains((int) f)) {
          snapshots.put((int) f, l.snapshot());
          learner.put((int) f, Learner.of(l.updates(), l.lastMetrics()));
        }
      }), x -> {});
    }
    progress.accept(n);
    grantTrain = SimulationRunner.run(train, n, co, c.sloShare(), node -> Baseline.grantRequested(), x -> {});
    progress.accept(n);
    Map<Integer, Map<String, Score>> trainScores = new TreeMap<>();
    for (int cp : c.checkpoints()) {
      Map<String, Score> m = new LinkedHashMap<>();
      m.put("ppo", score(all, ppoTrain, cp));
      m.put("grant_requested", score(all, grantTrain, cp));
      trainScores.put(cp, m);
    }
    Map<Integer, Map<String, Score>> eval = new TreeMap<>();
    Map<Integer, GrantShares> shares = new TreeMap<>();
    for (int cp : c.points()) {
      // The arrivals with the usage model in force at this point (a shift comes at N/2).
      List<SimPod> world = cp < shiftAt(c) ? unshifted : all;
      List<SimPod> scored = world.subList(cp, cp + c.evalFeedbacks());
      PpoLearner.Snapshot s = snapshots.get(cp);
      Map<String, Function<SimNode, AllocationPolicy>> policies = new LinkedHashMap<>();
      policies.put("ppo", node -> PpoPolicy.frozen(c.hp(), s, node, cell.seed()));
      policies.put("grant_requested", node -> Baseline.grantRequested());
      policies.put("fixed_fraction", node -> Baseline.fixedFraction(c.fraction()));
      policies.put("random", node -> Baseline.random(cell.seed() ^ 0x7A4D0L, c.hp().actionMapping()));
      policies.put("demand_aware", node -> Baseline.demandAware());
      Map<String, Score> m = new LinkedHashMap<>();
      Map<String, AllocationPolicy.Grant[]> grants = new LinkedHashMap<>();
      for (var e : policies.entrySet()) {
        AllocationPolicy[] made = new AllocationPolicy[1];
        AllocationPolicy.Grant[] granted = new AllocationPolicy.Grant[scored.size()];
        List<SimulationRunner.Outcome> out = SimulationRunner.run(scored, scored.size(), co, c.sloShare(),
            Hindsight.recording(node -> made[0] = e.getValue().apply(node), scored, granted), x -> {});
        Score sc = score(all, out, Integer.MAX_VALUE);
        if (made[0] instanceof PpoPolicy p) sc = new Score(sc.stats(), sc.grantShare(), p.meanActions());
        m.put(e.getKey(), sc);
        grants.put(e.getKey(), granted);
        progress.accept(scored.size());
      }
      Hindsight.Result h = Hindsight.optimise(scored, co, c.sloShare(), grants);
      m.put("hindsight", score(all, h.outcomes(), Integer.MAX_VALUE));
      progress.accept(scored.size());
      double bound = HindsightBound.stretch(scored, co, c.sloShare());
      // The bound's QoS rate: the share of pods some grant could serve at all (an upper bound on any policy's).
      m.put("bound", new Score(new PolicyStats(scored.size(), bound, HindsightBound.servableShare(scored, co, c.sloShare()), Double.NaN, Double.NaN, Double.NaN, Double.NaN),
          Double.NaN, null));
      if (c.stateLimitedPoints().contains(cp)) {
        StateLimitedHindsight.Result st = StateLimitedHindsight.optimise(scored, co, c.sloShare(), c.fraction());
        m.put(STATE_LIMITED, score(all, st.outcomes(), Integer.MAX_VALUE));
        List<SimPod> before = world.subList(cp - c.heldOutFit(cp), cp);
        StateLimitedHindsight.Result past = StateLimitedHindsight.optimise(before, co, c.sloShare(), c.fraction());
        m.put(STATE_LIMITED_HELD_OUT, score(all, StateLimitedHindsight.replay(past, scored, co, c.sloShare(), StateLimitedHindsight.SUITE_BUCKETS), Integer.MAX_VALUE));
        StateLimitedHindsight.Result own = StateLimitedHindsight.ownReward(scored, co, c.sloShare(), c.fraction());
        m.put(STATE_LIMITED_OWN, score(all, own.outcomes(), Integer.MAX_VALUE));
        Map<String, AllocationPolicy.Grant[]> where = new LinkedHashMap<>();
        where.put("ppo", grants.get("ppo"));
        where.put("demand_aware", grants.get("demand_aware"));
        where.put("hindsight", h.grants());
        where.put(STATE_LIMITED, st.grants());
        where.put(STATE_LIMITED_OWN, own.grants());
        shares.put(cp, GrantShares.of(scored, where));
        progress.accept(STATE_LIMITED_REPLAYS * ((long) scored.size() + before.size()) + (1L + STATE_LIMITED_OWN_REPLAYS) * scored.size());
      }
      eval.put(cp, m);
    }
    return new CellResult(cell, eval, trainScores, learner, FirstStretch.of(all, ppoTrain, grantTrain, Math.min(n, FIRST_STRETCH)), shares);
  }

  /**
   * Where PPO's train-mode run lost (or won) against grant_requested's over the first {@code pods} arrivals:
   * per group of pods (small or big ask, usage label, whether PPO cut the ask), how many, the sum of PPO's
   * reward minus grant_requested's, and how many PPO left unserved that grant_requested served. The cause
   * of a costly first thousand, found rather than guessed.
   */
  public record FirstStretch(int pods, Map<String, Group> groups) {
    public record Group(int pods, double rewardDiff, int qosLost, int qosWon, double askCut) {
      Group plus(double diff, boolean lost, boolean won, double cut) {
        return new Group(pods + 1, rewardDiff + diff, qosLost + (lost ? 1 : 0), qosWon + (won ? 1 : 0), askCut + cut);
      }
    }

    static FirstStretch of(List<SimPod> all, List<SimulationRunner.Outcome> ppo, List<SimulationRunner.Outcome> grant, int pods) {
      SimulationRunner.Outcome[] g = new SimulationRunner.Outcome[pods];
      for (SimulationRunner.Outcome o : grant) if (o.podIndex() < pods) g[o.podIndex()] = o;
      Map<String, Group> groups = new TreeMap<>();
      for (SimulationRunner.Outcome o : ppo) {
        if (o.podIndex() >= pods) continue;
        SimPod p = all.get(o.podIndex());
        SimulationRunner.Outcome b = g[o.podIndex()];
        String key = (p.requestCores() <= UsageModel.SMALL_ASK ? "small" : "big") + "/" + p.workload().name().toLowerCase(java.util.Locale.ROOT)
            + "/" + (o.grantCores() < p.requestCores() ? "cut" : "at_ask");
        double cut = 1 - o.grantCores() / (double) p.requestCores();
        groups.merge(key, new Group(0, 0, 0, 0, 0).plus(o.reward() - b.reward(), b.qosMet() && !o.qosMet(), !b.qosMet() && o.qosMet(), cut),
            (x, y) -> new Group(x.pods + y.pods, x.rewardDiff + y.rewardDiff, x.qosLost + y.qosLost, x.qosWon + y.qosWon, x.askCut + y.askCut));
      }
      return new FirstStretch(pods, groups);
    }

    /** The groups that cost the most first, each as one line. */
    public List<String> worst(int k) {
      return groups.entrySet().stream().sorted(Map.Entry.comparingByValue(java.util.Comparator.comparingDouble(Group::rewardDiff))).limit(k)
          .map(e -> String.format(java.util.Locale.ROOT, "%s: %d pods, %+.3f a pod of the stretch (%+.3f each), ask cut by %.0f %% on average, QoS lost %d won %d",
              e.getKey(), e.getValue().pods(), e.getValue().rewardDiff() / pods, e.getValue().rewardDiff() / e.getValue().pods(),
              100 * e.getValue().askCut() / e.getValue().pods(), e.getValue().qosLost(), e.getValue().qosWon())).toList();
    }
  }

  /** Score of the outcomes of pods before index {@code before}. */
  private static Score score(List<SimPod> all, List<SimulationRunner.Outcome> outcomes, int before) {
    List<SimulationRunner.Outcome> kept = outcomes.stream().filter(o -> o.podIndex() < before).toList();
    double granted = 0, asked = 0;
    for (SimulationRunner.Outcome o : kept) {
      granted += o.grantCores();
      asked += all.get(o.podIndex()).requestCores();
    }
    return new Score(PolicyStats.of(kept, false), asked == 0 ? Double.NaN : granted / asked, null);
  }

  // ---- what the suite adds up to ----

  /** One (scenario, arrivals) row: means over the seeds. */
  public record Row(UsageModel scenario, String arrivals, Map<Integer, Map<String, Double>> eval, Map<Integer, Double> trainGap,
                    Map<Integer, Double> captured) {}

  public static List<Row> rows(Result r) {
    List<Row> rows = new ArrayList<>();
    for (UsageModel m : r.config().scenarios())
      for (String a : r.config().arrivals()) {
        List<CellResult> cs = r.cells().stream().filter(x -> x.cell().scenario() == m && x.cell().arrivals().equals(a)).toList();
        Map<Integer, Map<String, Double>> eval = new TreeMap<>();
        Map<Integer, Double> captured = new TreeMap<>();
        for (int cp : r.config().points()) {
          Map<String, Double> e = new LinkedHashMap<>();
          for (String p : POLICIES) e.put(p, cs.stream().mapToDouble(x -> x.eval().get(cp).get(p).reward()).average().orElse(Double.NaN));
          if (cs.stream().allMatch(x -> x.hasStateLimited(cp)))
            for (String p : List.of(STATE_LIMITED, STATE_LIMITED_HELD_OUT, STATE_LIMITED_OWN))
              e.put(p, cs.stream().mapToDouble(x -> x.eval().get(cp).get(p).reward()).average().orElse(Double.NaN));
          eval.put(cp, e);
          double h = e.get("demand_aware") - e.get("grant_requested");
          captured.put(cp, h < HEADROOM ? Double.NaN : (e.get("ppo") - e.get("grant_requested")) / (e.get("hindsight") - e.get("grant_requested")));
        }
        Map<Integer, Double> gap = new TreeMap<>();
        for (int cp : r.config().checkpoints()) gap.put(cp, cs.stream().mapToDouble(x -> x.trainGap(cp)).average().orElse(Double.NaN));
        rows.add(new Row(m, a, eval, gap, captured));
      }
    return rows;
  }

  /**
   * SPEC §6's criteria, each failure named. Per cell: untrained within {@value #UNTRAINED_TOLERANCE} of
   * grant_requested; the train-mode mean over the first {@value #FIRST_STRETCH} and over the first
   * {@value #LEARNING_STRETCH} feedbacks within {@value #TRAIN_TOLERANCE} of grant_requested's on the same
   * arrivals; where granting less pays (the demand-aware reference's headroom at least {@value #HEADROOM}),
   * the infer-mode policy at {@value #FIRST_STRETCH} ahead by at least {@value #CLEAR_MARGIN}; no share of
   * policy above the hindsight reference (which starts from their grants) nor the hindsight reference above the
   * proven bound (that would mean the bound is none). Over the cells where granting less pays: the median share
   * of the hindsight reference's headroom at {@value #LEARNING_STRETCH} at least {@value #MEDIAN_CAPTURED}.
   */
  public static List<String> failures(Result r) {
    return failing(r).stream().map(Failure::message).toList();
  }

  /** SPEC §6's criteria, each its own name, so a report can say which hold. */
  public enum Criterion { UNTRAINED, TRAIN_MODE, INFER_MODE, BOUND, CAPTURED }

  public record Failure(Criterion criterion, String message) {}

  /** As {@link #failures(Result)}, each failure with the criterion it breaks. */
  public static List<Failure> failing(Result r) {
    List<Failure> f = new ArrayList<>();
    Config config = r.config();
    int judged = config.judged();
    List<Double> shares = new ArrayList<>();
    for (CellResult c : r.cells()) {
      String where = c.cell().scenario().json() + "/" + c.cell().arrivals() + "/seed " + c.cell().seed();
      double untrained = c.margin(0);
      if (untrained < -UNTRAINED_TOLERANCE)
        f.add(new Failure(Criterion.UNTRAINED, String.format(java.util.Locale.ROOT, "%s: untrained %+.3f against grant_requested (tolerance %.2f)", where, untrained, UNTRAINED_TOLERANCE)));
      for (int stretch : config.trainStretches()) {
        double gap = c.trainGap(stretch);
        if (gap < -TRAIN_TOLERANCE)
          f.add(new Failure(Criterion.TRAIN_MODE, String.format(java.util.Locale.ROOT, "%s: train-mode mean over %d feedbacks %+.3f against grant_requested (tolerance %.2f)", where, stretch, gap, TRAIN_TOLERANCE)));
      }
      if (c.headroom(judged) >= HEADROOM && c.margin(judged) < CLEAR_MARGIN)
        f.add(new Failure(Criterion.INFER_MODE, String.format(java.util.Locale.ROOT, "%s: at %d feedbacks infer-mode %+.3f against grant_requested where the demand-aware reference has %+.3f (wanted >= %.2f)",
            where, judged, c.margin(judged), c.headroom(judged), CLEAR_MARGIN)));
      for (int cp : config.points()) {
        if (c.hindsightHeadroom(cp) > c.boundHeadroom(cp) + 1e-9)
          f.add(new Failure(Criterion.BOUND, String.format(java.util.Locale.ROOT, "%s: at %d hindsight %+.3f is above the bound's %+.3f: the bound is none", where, cp, c.hindsightHeadroom(cp), c.boundHeadroom(cp))));
        for (String p : SIMULATED)
          if (c.margin(cp, p) > c.hindsightHeadroom(cp) + 1e-9)
            f.add(new Failure(Criterion.BOUND, String.format(java.util.Locale.ROOT, "%s: at %d %s %+.3f is above hindsight's %+.3f, which starts from its grants", where, cp, p, c.margin(cp, p), c.hindsightHeadroom(cp))));
      }
      double share = c.captured(config.capturedAt());
      if (Double.isFinite(share)) shares.add(share);
    }
    double median = median(shares);
    if (!shares.isEmpty() && median < MEDIAN_CAPTURED)
      f.add(new Failure(Criterion.CAPTURED, String.format(java.util.Locale.ROOT, "median share of the hindsight reference's headroom at %d over %d cells %.0f %% (wanted >= %.0f %%)",
          config.capturedAt(), shares.size(), 100 * median, 100 * MEDIAN_CAPTURED)));
    return f;
  }

  /**
   * Over the cells where granting less pays at {@code cp}: the medians of PPO's share of the hindsight reference's
   * headroom, of the state-limited reference's share of it, and of PPO's share of the state-limited reference's.
   */
  public record StateLimitedMedians(int cells, double hindsightShare, double stateLimitedShare, double ppoShare,
                                    double heldOutShare, double ownShare) {}

  public static StateLimitedMedians stateLimitedMedians(Result r, int cp) {
    List<Double> h = new ArrayList<>(), s = new ArrayList<>(), p = new ArrayList<>(), o = new ArrayList<>(), w = new ArrayList<>();
    for (CellResult c : r.cells()) {
      if (!c.hasStateLimited(cp) || c.headroom(cp) < HEADROOM) continue;
      h.add(c.captured(cp));
      s.add(c.stateLimitedCaptured(cp));
      p.add(c.capturedOfStateLimited(cp));
      o.add(c.stateLimitedHeldOutCaptured(cp));
      w.add(c.stateLimitedOwnCaptured(cp));
    }
    return new StateLimitedMedians(h.size(), median(h), median(s), median(p), median(o), median(w));
  }

  /** The median of {@code xs}; NaN when empty. */
  public static double median(List<Double> xs) {
    if (xs.isEmpty()) return Double.NaN;
    List<Double> s = xs.stream().sorted().toList();
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  public static ObjectNode toJson(Result r, ObjectMapper json) {
    ObjectNode root = json.createObjectNode();
    Config c = r.config();
    ObjectNode suite = root.putObject("suite");
    ArrayNode sc = suite.putArray("scenarios");
    for (UsageModel m : c.scenarios()) sc.addObject().put("name", m.json()).put("usage", m.description());
    c.arrivals().forEach(suite.putArray("arrivals")::add);
    c.seeds().forEach(suite.putArray("seeds")::add);
    c.checkpoints().forEach(suite.putArray("checkpoints")::add);
    suite.put("eval_feedbacks", c.evalFeedbacks());
    suite.put("concurrency", c.concurrency());
    suite.put("fraction", c.fraction());
    suite.put("slo_share", c.sloShare());
    suite.put("backend", c.backend());
    suite.set("hyperparameters", json.valueToTree(c.hp()));
    ObjectNode crit = root.putObject("criteria");
    crit.put("untrained_tolerance", UNTRAINED_TOLERANCE).put("train_tolerance", TRAIN_TOLERANCE)
        .put("first_stretch", FIRST_STRETCH).put("learning_stretch", LEARNING_STRETCH).put("headroom", HEADROOM)
        .put("clear_margin", CLEAR_MARGIN).put("median_captured", MEDIAN_CAPTURED).put("judged_at", c.judged())
        .put("captured_at", c.capturedAt());
    List<String> failures = failures(r);
    crit.put("met", failures.isEmpty());
    failures.forEach(crit.putArray("failures")::add);
    // Evidence beside the criterion, not part of it: the medians over the judged cells at each point it was searched.
    ObjectNode st = root.putObject("state_limited");
    for (int cp : c.stateLimitedPoints()) {
      StateLimitedMedians sm = stateLimitedMedians(r, cp);
      ObjectNode x = st.putObject(Integer.toString(cp)).put("cells", sm.cells());
      putNumber(x, "median_captured", sm.hindsightShare());
      putNumber(x, "median_state_limited_captured", sm.stateLimitedShare());
      putNumber(x, "median_ppo_state_limited_captured", sm.ppoShare());
      putNumber(x, "median_state_limited_held_out_captured", sm.heldOutShare());
      putNumber(x, "median_state_limited_own_captured", sm.ownShare());
    }
    ArrayNode summary = root.putArray("summary");
    for (Row row : rows(r)) {
      ObjectNode o = summary.addObject();
      o.put("scenario", row.scenario().json()).put("arrivals", row.arrivals());
      ObjectNode ev = o.putObject("eval");
      row.eval().forEach((cp, m) -> {
        ObjectNode x = ev.putObject(Integer.toString(cp));
        m.forEach(x::put);
      });
      ObjectNode cap = o.putObject("captured");
      row.captured().forEach((cp, v) -> { if (cp > 0) putNumber(cap, Integer.toString(cp), v); });
      ObjectNode tg = o.putObject("train_gap");
      row.trainGap().forEach((cp, v) -> putNumber(tg, Integer.toString(cp), v));
    }
    ArrayNode cells = root.putArray("cells");
    for (CellResult cr : r.cells()) {
      ObjectNode o = cells.addObject();
      o.put("scenario", cr.cell().scenario().json()).put("arrivals", cr.cell().arrivals()).put("seed", cr.cell().seed());
      ObjectNode ev = o.putObject("eval");
      cr.eval().forEach((cp, m) -> {
        ObjectNode x = ev.putObject(Integer.toString(cp));
        m.forEach((p, s) -> {
          if (p.equals("bound")) {
            x.putObject(p).put("mean_reward", s.reward()).put("servable_share", s.stats().qosRate());
            return;
          }
          ObjectNode y = x.putObject(p).put("mean_reward", s.reward()).put("qos_rate", s.stats().qosRate())
              .put("observed_qos_rate", s.stats().observedQosRate()).put("qos_agreement", s.stats().qosAgreement())
              .put("declared_slo", s.stats().declared());
          putNumber(y, "qos_agreement_declared", s.stats().qosAgreementDeclared());
          putNumber(y, "qos_agreement_undeclared", s.stats().qosAgreementUndeclared());
          y.put("utilization_efficiency", s.stats().utilizationEfficiency()).put("oom_rate", s.stats().oomRate())
              .put("grant_share", s.grantShare());
          if (s.meanActions() != null)
            y.put("mean_action_cores", s.meanActions().meanCores()).put("saturated_share", s.meanActions().saturatedShare())
                .put("at_ask_share", s.meanActions().atAskShare());
        });
        putNumber(x, "captured", cr.captured(cp));
        putNumber(x, "bound_captured", cr.boundCaptured(cp));
        putNumber(x, "reference_captured", cr.referenceCaptured(cp));
        if (cr.hasStateLimited(cp)) {
          putNumber(x, "state_limited_captured", cr.stateLimitedCaptured(cp));
          putNumber(x, "ppo_state_limited_captured", cr.capturedOfStateLimited(cp));
          putNumber(x, "state_limited_held_out_captured", cr.stateLimitedHeldOutCaptured(cp));
          putNumber(x, "state_limited_own_captured", cr.stateLimitedOwnCaptured(cp));
        }
        x.put("bound_gap", cr.boundGap(cp));
        GrantShares gs = cr.grantShares().get(cp);
        if (gs != null) {
          ObjectNode g = x.putObject("grant_shares");
          gs.groups().forEach((k, v) -> {
            ObjectNode y = g.putObject(k).put("pods", v.pods()).put("peak_share", v.peakShare());
            v.grantShare().forEach(y::put);
          });
        }
      });
      ObjectNode fs = o.putObject("first_stretch").put("pods", cr.losses().pods());
      cr.losses().groups().forEach((k, g) -> fs.putObject(k).put("pods", g.pods()).put("reward_diff", g.rewardDiff())
          .put("qos_lost", g.qosLost()).put("qos_won", g.qosWon()).put("mean_ask_cut", g.askCut() / g.pods()));
      ObjectNode tr = o.putObject("train");
      cr.train().forEach((cp, m) -> {
        ObjectNode x = tr.putObject(Integer.toString(cp));
        m.forEach((p, s) -> x.putObject(p).put("mean_reward", s.reward()).put("qos_rate", s.stats().qosRate())
            .put("observed_qos_rate", s.stats().observedQosRate()).put("grant_share", s.grantShare()));
      });
      ObjectNode le = o.putObject("learner");
      cr.learner().forEach((cp, l) -> {
        ObjectNode x = le.putObject(Integer.toString(cp)).put("updates", l.updates());
        if (l.std() != null) {
          ArrayNode std = x.putArray("std");
          for (double v : l.std()) std.add(v);
          x.put("clip_fraction", l.clipFraction()).put("approx_kl", l.approxKl())
              .put("explained_variance", l.explainedVariance()).put("grad_norm", l.gradNorm());
        }
      });
    }
    return root;
  }

  private static void putNumber(ObjectNode o, String k, double v) {
    if (Double.isFinite(v)) o.put(k, v);
    else o.putNull(k);
  }
}
