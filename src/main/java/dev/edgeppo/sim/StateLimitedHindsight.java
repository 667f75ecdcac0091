package dev.edgeppo.sim;

import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.agent.GpuChooser;
import dev.edgeppo.agent.StateEncoder;
import dev.edgeppo.telemetry.Telemetry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * The state-limited hindsight reference: the best policy found whose grant depends only on what SPEC §1's state
 * shows when the pod arrives, searched with the future known. It tells apart the two reasons PPO can fall short of
 * {@link Hindsight}: learning too slowly, or seeing too little (the state does not show a pod's demand).
 *
 * <p>The family: a table from a bucket of the state, as the agent's own {@link StateEncoder} reads the node's
 * {@link Telemetry} (the ask's cores × the ask's memory, which tells the synthetic classes apart × the pods
 * running), to a fraction of the asked cores, memory as asked. The fraction rounds as fixed_fraction's
 * ({@link Baseline#coresAt}), so granting every ask (fraction 1 everywhere) and fixed_fraction are both tables of
 * the family, and the search starts from the better of the two: it is never below either.
 *
 * <p>The table is found by coordinate search over the buckets, each candidate fraction scored on the very
 * arrivals it is judged on: an optimistic (upper) estimate of what a table of this family can do there, and
 * still a lower estimate of what any policy seeing only the state can do (the family leaves out the GPU's
 * utilization and memory occupancy, and any finer split of the asks). Every bucket the table reads is a
 * function of arrivals, asks, lifetimes and working sets alone, never of the grants (memory granted as asked
 * changes no OOM; the pods on the GPU do not depend on core grants), so each pod's bucket is the same in every
 * replay and {@link Hindsight.Model}'s exact re-scoring of core grants scores each candidate without replaying
 * the stretch. The figure reported is the simulator's own replay of the final table, by a policy that reads
 * the node's telemetry as the agent does; that replay checks every pod landed in the bucket the search assumed.
 */
public final class StateLimitedHindsight {
  private StateLimitedHindsight() {}

  /** The policy's name in the suite's report and JSON. */
  public static final String NAME = "state_limited";
  /** Coordinate sweeps over the buckets at most. */
  static final int SWEEPS = 3;
  /** Best-response sweeps of {@link #ownReward} at most (it settled within 4 on the suite's cells). */
  static final int OWN_SWEEPS = 8;
  /** Sweeps stop when one gains less than this in total reward. */
  static final double SWEEP_GAIN = 1e-6;
  /** The fractions of the ask each bucket may grant: steps of 5 %, as fine as cores are asked in the synthetic mix. */
  static final double[] FRACTIONS = IntStream.rangeClosed(1, 20).mapToDouble(i -> i / 20.0).toArray();

  /**
   * How the state is cut into buckets: edges on SPEC §1's state floats, each bucket (previous edge, edge].
   * {@code askCores}: state[0]; {@code askMemory}: state[1]; {@code runningPods}: state[4].
   */
  public record Buckets(double[] askCores, double[] askMemory, double[] runningPods) {
    public Buckets {
      for (double[] e : List.of(askCores, askMemory, runningPods))
        for (int i = 1; i < e.length; i++)
          if (!(e[i] > e[i - 1])) throw new IllegalArgumentException("bucket edges must rise, got " + Arrays.toString(e));
      askCores = askCores.clone();
      askMemory = askMemory.clone();
      runningPods = runningPods.clone();
    }

    public int count() { return (askCores.length + 1) * (askMemory.length + 1) * (runningPods.length + 1); }

    /** The bucket of a state (SPEC §1's 5 floats). */
    public int of(float[] s) {
      return (bin(askCores, s[0]) * (askMemory.length + 1) + bin(askMemory, s[1])) * (runningPods.length + 1) + bin(runningPods, s[4]);
    }

    private static int bin(double[] edges, double v) {
      int i = 0;
      while (i < edges.length && v > edges[i]) i++;
      return i;
    }
  }

  /**
   * The suite's buckets: the cores asked in tenths (the trace's memory ask follows its cores ask, so there the
   * cores ask is all the state says of a pod; 50 is where the usage models tell small asks from big,
   * {@link UsageModel#SMALL_ASK}); memory asks below, between and above the synthetic classes' ranges (inference
   * up to 3840 MB, bursty 4096-7936, training from 8192, {@link WorkloadClass}), cut halfway; 0, 1, 2, 3 or 4 and
   * more pods on the GPU (of SPEC §1's max_pods 10): 150 buckets. Measured against 48 (the cores ask in quarters,
   * 0-3+ pods) and 300 (six memory buckets): docs/learning.md, "The state-limited reference".
   */
  public static final Buckets SUITE_BUCKETS = new Buckets(new double[] {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9},
      new double[] {3968.0 / SimNode.TOTAL_MIB, 8064.0 / SimNode.TOTAL_MIB}, new double[] {0.05, 0.15, 0.25, 0.35});

  /**
   * What the search found. {@code meanReward}: the simulator's mean reward of {@code table}; {@code fractions}: the
   * share of the ask each bucket grants (NaN: no pod fell there); {@code seeds}: each seed table's own mean reward
   * replayed; {@code states}: each pod's state as the policy read it in the final replay (by position).
   */
  public record Result(double meanReward, double[] fractions, Map<String, Double> seeds, String fromSeed, int sweeps,
                       float[][] states, AllocationPolicy.Grant[] grants, List<SimulationRunner.Outcome> outcomes) {}

  /** The policy of a table: reads the node as the agent does, grants the bucket's fraction of the ask, memory as asked. */
  static final class TablePolicy implements AllocationPolicy {
    private static final AgentOptions AGENT = AgentOptions.defaults();
    private final StateEncoder encoder = new StateEncoder(AGENT.maxMemoryMb(), AGENT.maxPods());
    private final Buckets buckets;
    private final double[] fractions;
    private final java.util.function.BiConsumer<SimPod, float[]> seen;

    /** @param seen told each pod and the state it was answered on */
    TablePolicy(Buckets buckets, double[] fractions, java.util.function.BiConsumer<SimPod, float[]> seen) {
      if (fractions.length != buckets.count())
        throw new IllegalArgumentException("a table has a fraction for each of the " + buckets.count() + " buckets, got " + fractions.length);
      this.buckets = buckets;
      this.fractions = fractions.clone();
      this.seen = seen;
    }

    @Override public String name() { return NAME; }

    @Override
    public Grant allocate(SimPod pod, Telemetry node, boolean evaluation) {
      float[] s = encoder.encode(pod.requestCores(), pod.requestMemoryMb(), GpuChooser.choose(node.read(), null));
      seen.accept(pod, s);
      return new Grant(Baseline.coresAt(fractions[buckets.of(s)], pod.requestCores()), pod.requestMemoryMb(), null);
    }

    @Override
    public double feedback(Grant g, double usage, boolean qos, int n, boolean done) { return 0; }
  }

  /** The best table found for {@code pods} with the suite's buckets; fixed_fraction grants {@code fixedFraction}. */
  public static Result optimise(List<SimPod> pods, CoTenants coTenants, double sloShare, double fixedFraction) {
    return optimise(pods, coTenants, sloShare, fixedFraction, SUITE_BUCKETS);
  }

  /** As above with {@code buckets}. */
  public static Result optimise(List<SimPod> pods, CoTenants coTenants, double sloShare, double fixedFraction, Buckets buckets) {
    requireStretch(pods, fixedFraction);
    int n = pods.size();
    Map<Integer, Integer> position = positions(pods);
    // Each pod's bucket, read once: it does not depend on the grants (see the class comment); the final replay checks.
    int[] bucket = replay(pods, coTenants, sloShare, buckets, filled(buckets, 1.0), position).bucket;
    Map<String, double[]> seeds = new LinkedHashMap<>();
    seeds.put("grant_requested", filled(buckets, 1.0));
    seeds.put("fixed_fraction", filled(buckets, fixedFraction));
    Map<String, Double> seedScores = new LinkedHashMap<>();
    Hindsight.Model best = null;
    double[] table = null;
    String from = null;
    for (var e : seeds.entrySet()) {
      Hindsight.Model m = Hindsight.Model.play(pods, coTenants, sloShare, grants(pods, bucket, e.getValue()));
      seedScores.put(e.getKey(), m.realTotal / n);
      if (best == null || m.realTotal > best.realTotal) {
        best = m;
        table = e.getValue().clone();
        from = e.getKey();
      }
    }
    double seedTotal = best.realTotal;
    double[] seedTable = table.clone();
    int sweeps = ascend(best, pods, bucket, table, fixedFraction);
    Replay r = replayChecked(pods, coTenants, sloShare, buckets, table, position, bucket);
    // The re-scoring is the simulator's arithmetic, so the replay agrees with it; were it ever lower, the seed stays.
    if (r.total < seedTotal - 1e-9) {
      table = seedTable;
      r = replay(pods, coTenants, sloShare, buckets, table, position);
    }
    return new Result(r.total / n, unvisitedAsNaN(table, bucket), seedScores, from, sweeps, r.states, r.grants, r.outcomes);
  }

  /**
   * The table a learner that chooses each bucket's share for its own pods' reward settles at, knowing the future:
   * from granting every ask (where the agent starts), each bucket in turn moves to the fraction that is best for
   * the pods in it, given the others' fractions, until no bucket moves (at most {@link #OWN_SWEEPS} sweeps). A
   * pod's grant also changes what its neighbours receive when the GPU is oversubscribed, and SPEC §1's reward of
   * one allocation does not count that; {@link #optimise} does. The gap between the two is what that credit costs.
   * Not a bound and not seeded from fixed_fraction: it may be below granting every ask.
   */
  public static Result ownReward(List<SimPod> pods, CoTenants coTenants, double sloShare, double fixedFraction) {
    requireStretch(pods, fixedFraction);
    Buckets buckets = SUITE_BUCKETS;
    int n = pods.size();
    Map<Integer, Integer> position = positions(pods);
    double[] table = filled(buckets, 1.0);
    int[] bucket = replay(pods, coTenants, sloShare, buckets, table, position).bucket;
    Hindsight.Model m = Hindsight.Model.play(pods, coTenants, sloShare, grants(pods, bucket, table));
    Map<String, Double> seedScores = new LinkedHashMap<>();
    seedScores.put("grant_requested", m.realTotal / n);
    int sweeps = ascend(m, pods, bucket, table, fixedFraction, Judge.OWN_PODS, OWN_SWEEPS);
    Replay r = replayChecked(pods, coTenants, sloShare, buckets, table, position, bucket);
    return new Result(r.total / n, unvisitedAsNaN(table, bucket), seedScores, "grant_requested", sweeps, r.states, r.grants, r.outcomes);
  }

  /**
   * The table {@code fitted} found (on other arrivals) played on {@code pods}: what a table learned from the past does
   * on arrivals it has not seen, the measure of how much of the reference is its optimism. A bucket no pod of the
   * fitted stretch fell in grants the whole ask.
   */
  public static List<SimulationRunner.Outcome> replay(Result fitted, List<SimPod> pods, CoTenants coTenants, double sloShare, Buckets buckets) {
    double[] table = fitted.fractions().clone();
    for (int b = 0; b < table.length; b++) if (Double.isNaN(table[b])) table[b] = 1;
    return SimulationRunner.run(pods, pods.size(), coTenants, sloShare, node -> new TablePolicy(buckets, table, (p, s) -> {}), x -> {});
  }

  private record Replay(double total, int[] bucket, float[][] states, AllocationPolicy.Grant[] grants, List<SimulationRunner.Outcome> outcomes) {}

  private static Replay replay(List<SimPod> pods, CoTenants co, double sloShare, Buckets buckets, double[] table, Map<Integer, Integer> position) {
    int n = pods.size();
    int[] bucket = new int[n];
    float[][] states = new float[n][];
    AllocationPolicy.Grant[] grants = new AllocationPolicy.Grant[n];
    List<SimulationRunner.Outcome> out = SimulationRunner.run(pods, n, co, sloShare, Hindsight.recording(node -> new TablePolicy(buckets, table, (p, s) -> {
      int k = position.get(p.index());
      bucket[k] = buckets.of(s);
      states[k] = s.clone();
    }), pods, grants), x -> {});
    double total = 0;
    for (SimulationRunner.Outcome o : out) total += o.reward();
    return new Replay(total, bucket, states, grants, out);
  }

  /** The final table played in the simulator, which also checks every pod landed in the bucket the search assumed. */
  private static Replay replayChecked(List<SimPod> pods, CoTenants co, double sloShare, Buckets buckets, double[] table,
                                      Map<Integer, Integer> position, int[] assumed) {
    Replay r = replay(pods, co, sloShare, buckets, table, position);
    if (!Arrays.equals(r.bucket, assumed))
      throw new IllegalStateException("a pod's state bucket changed with the grants: the search's re-scoring assumed it could not");
    return r;
  }

  private static void requireStretch(List<SimPod> pods, double fixedFraction) {
    if (pods.isEmpty()) throw new IllegalArgumentException("a stretch has at least one pod");
    if (!(fixedFraction > 0 && fixedFraction <= 1)) throw new IllegalArgumentException("fraction must be in (0, 1], got " + fixedFraction);
  }

  private static Map<Integer, Integer> positions(List<SimPod> pods) {
    Map<Integer, Integer> position = new java.util.HashMap<>();
    for (int i = 0; i < pods.size(); i++) position.put(pods.get(i).index(), i);
    return position;
  }

  /** {@code table} with NaN in the buckets no pod fell in. */
  private static double[] unvisitedAsNaN(double[] table, int[] bucket) {
    double[] t = table.clone();
    boolean[] seen = new boolean[t.length];
    for (int b : bucket) seen[b] = true;
    for (int b = 0; b < t.length; b++) if (!seen[b]) t[b] = Double.NaN;
    return t;
  }

  private static double[] filled(Buckets buckets, double fraction) {
    double[] t = new double[buckets.count()];
    Arrays.fill(t, fraction);
    return t;
  }

  private static AllocationPolicy.Grant[] grants(List<SimPod> pods, int[] bucket, double[] table) {
    AllocationPolicy.Grant[] g = new AllocationPolicy.Grant[pods.size()];
    for (int k = 0; k < g.length; k++) {
      SimPod p = pods.get(k);
      g[k] = new AllocationPolicy.Grant(Baseline.coresAt(table[bucket[k]], p.requestCores()), p.requestMemoryMb(), null);
    }
    return g;
  }

  /**
   * Coordinate ascent over the buckets (the most crowded first): each bucket's fraction moves to the one of
   * {@link #FRACTIONS} (and fixed_fraction's) that scores best given the others', re-scoring only the pods that
   * ran beside a pod of the bucket. Returns the sweeps made; {@code table} and {@code m}'s grants end at the best.
   */
  private static int ascend(Hindsight.Model m, List<SimPod> pods, int[] bucket, double[] table, double fixedFraction) {
    return ascend(m, pods, bucket, table, fixedFraction, Judge.ALL_PODS, SWEEPS);
  }

  /** Whose reward a bucket's fraction is chosen for. */
  private enum Judge {
    /** every pod whose reward it changes: the reference proper */
    ALL_PODS,
    /** the bucket's own pods only: what each pod's own reward (PPO's signal at γ 0) tells it */
    OWN_PODS
  }

  private static int ascend(Hindsight.Model m, List<SimPod> pods, int[] bucket, double[] table, double fixedFraction, Judge judge, int maxSweeps) {
    int nb = table.length;
    List<List<Integer>> members = new ArrayList<>();
    for (int b = 0; b < nb; b++) members.add(new ArrayList<>());
    for (int k = 0; k < bucket.length; k++) members.get(bucket[k]).add(k);
    int[][] own = members.stream().map(x -> x.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
    int[][] touched = new int[nb][];
    for (int b = 0; b < nb; b++) {
      TreeSet<Integer> t = new TreeSet<>();
      for (int j : members.get(b)) for (int a : m.affects[j]) t.add(a);
      touched[b] = t.stream().mapToInt(Integer::intValue).toArray();
    }
    Integer[] order = IntStream.range(0, nb).filter(b -> !members.get(b).isEmpty()).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingInt((Integer b) -> -members.get(b).size()));
    double[] levels = java.util.stream.DoubleStream.concat(Arrays.stream(FRACTIONS), java.util.stream.DoubleStream.of(fixedFraction))
        .distinct().sorted().toArray();
    int sweep = 0;
    while (sweep < maxSweeps) {
      sweep++;
      double gained = 0;
      for (int b : order) {
        int[] judged = judge == Judge.ALL_PODS ? touched[b] : own[b];
        double before = 0;
        for (int k : judged) before += m.reward[k];
        double current = table[b], bestLevel = current, bestGain = 0;
        for (double level : levels) {
          if (level == current) continue;
          set(m, pods, members.get(b), level);
          double after = 0;
          for (int k : judged) after += m.rewardOf(k, -1);
          if (after - before > bestGain + 1e-12) {
            bestGain = after - before;
            bestLevel = level;
          }
        }
        set(m, pods, members.get(b), bestLevel);
        table[b] = bestLevel;
        if (bestLevel != current) for (int k : touched[b]) m.reward[k] = m.rewardOf(k, -1);
        gained += bestGain;
      }
      if (gained < SWEEP_GAIN) break;
    }
    return sweep;
  }

  private static void set(Hindsight.Model m, List<SimPod> pods, List<Integer> members, double fraction) {
    for (int k : members) m.cores[k] = Baseline.coresAt(fraction, pods.get(k).requestCores());
  }
}
