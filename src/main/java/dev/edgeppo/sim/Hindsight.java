package dev.edgeppo.sim;

import dev.edgeppo.agent.Reward;
import dev.edgeppo.random.Noise;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The hindsight reference: a policy that knows every pod's demand path, lifetime and working set and every
 * arrival, and chooses each pod's grant to maximise the stretch's total SPEC §1 reward under the simulator's
 * own contention model. It is found by search, not proven optimal, so it is a lower estimate of the best any
 * policy can do; {@link HindsightBound} stays the proven ceiling above it.
 *
 * <p>How: it starts from the best of the seed grants it is given (every policy it is compared with, PPO's
 * own realised grants among them), so it is never below any of them; then coordinate ascent over each
 * pod's core grant, among a few telling levels (the ask, 1, the 10 % floor, the largest grant without the
 * over-fair-share penalty, the levels that cover its demand's quantiles). Who shares the GPU at each of a
 * pod's samples depends only on arrivals, lifetimes and which pods were OOM-killed, never on core grants
 * ({@link SimulationRunner.SampleRecorder}), so a change of one pod's grant is re-scored exactly by
 * recomputing only the pods whose samples it ran beside. Then a few OOM kills (a memory grant below the
 * working set) where the re-scoring says freeing the GPU pays, each checked by playing the whole stretch
 * again. Every figure it reports is the simulator's own run of its final grants.
 */
public final class Hindsight {
  private Hindsight() {}

  /** Coordinate-ascent sweeps over all pods at most (each re-scores every pod's candidate levels). */
  public static final int SWEEPS = 4;
  /** OOM kills tried at most per stretch, each a whole replay: the budget that keeps the suite's run time. */
  public static final int KILL_TRIES = 3;
  /** A kill is replayed only when the re-scoring predicts at least this total gain (reward summed over pods). */
  static final double KILL_PREDICTED_GAIN = 0.05;
  /** Sweeps stop when one gains less than this in total. */
  static final double SWEEP_GAIN = 1e-6;

  /**
   * What the search found. {@code meanReward}: the simulator's mean reward of {@code grants}; {@code seeds}:
   * each seed's own mean reward replayed (never above {@code meanReward}); {@code fromSeed}: which seed it
   * started from; {@code kills}: OOM kills kept.
   */
  public record Result(double meanReward, AllocationPolicy.Grant[] grants, Map<String, Double> seeds, String fromSeed,
                       int sweeps, int kills, List<SimulationRunner.Outcome> outcomes) {}

  /** A policy that answers each pod with a grant fixed in advance (by position in {@code pods}). */
  static AllocationPolicy fixed(List<SimPod> pods, AllocationPolicy.Grant[] grants) {
    Map<Integer, Integer> position = positions(pods);
    return new AllocationPolicy() {
      @Override public String name() { return "hindsight"; }

      @Override
      public Grant allocate(SimPod pod, dev.edgeppo.telemetry.Telemetry node, boolean evaluation) {
        return grants[position.get(pod.index())];
      }

      @Override
      public double feedback(Grant g, double usage, boolean qos, int n, boolean done) { return 0; }
    };
  }

  /** Wraps a policy so that what it grants each pod of {@code pods} is written to {@code into} (by position). */
  static Function<SimNode, AllocationPolicy> recording(Function<SimNode, AllocationPolicy> policy, List<SimPod> pods,
                                                       AllocationPolicy.Grant[] into) {
    Map<Integer, Integer> position = positions(pods);
    return node -> {
      AllocationPolicy inner = policy.apply(node);
      return new AllocationPolicy() {
        @Override public String name() { return inner.name(); }

        @Override
        public Grant allocate(SimPod pod, dev.edgeppo.telemetry.Telemetry n, boolean evaluation) {
          Grant g = inner.allocate(pod, n, evaluation);
          into[position.get(pod.index())] = new Grant(g.cores(), g.memoryMb(), null);
          return g;
        }

        @Override
        public double feedback(Grant g, double usage, boolean qos, int n, boolean done) { return inner.feedback(g, usage, qos, n, done); }

        @Override public void close() { inner.close(); }
      };
    };
  }

  private static Map<Integer, Integer> positions(List<SimPod> pods) {
    Map<Integer, Integer> position = new HashMap<>();
    for (int i = 0; i < pods.size(); i++) position.put(pods.get(i).index(), i);
    return position;
  }

  /**
   * The best grants found for {@code pods} on a node with {@code coTenants}, {@code sloShare} of pods
   * declaring a service level, starting from the best of {@code seeds} (name → a grant per pod, by position).
   */
  public static Result optimise(List<SimPod> pods, CoTenants coTenants, double sloShare, Map<String, AllocationPolicy.Grant[]> seeds) {
    if (pods.isEmpty()) throw new IllegalArgumentException("a stretch has at least one pod");
    if (seeds.isEmpty()) throw new IllegalArgumentException("the search starts from at least one seed's grants");
    Map<String, Double> seedScores = new LinkedHashMap<>();
    Model best = null;
    String from = null;
    for (var e : seeds.entrySet()) {
      if (e.getValue().length != pods.size() || Arrays.asList(e.getValue()).contains(null))
        throw new IllegalArgumentException("seed " + e.getKey() + " has no grant for every pod");
      Model m = Model.play(pods, coTenants, sloShare, e.getValue().clone());
      seedScores.put(e.getKey(), m.realTotal / pods.size());
      if (best == null || m.realTotal > best.realTotal) {
        best = m;
        from = e.getKey();
      }
    }
    AllocationPolicy.Grant[] seedGrants = best.grants();
    int sweeps = best.ascend();
    Model m = Model.play(pods, coTenants, sloShare, best.grants());
    // The re-scoring is the simulator's arithmetic, so the replay agrees with it; were it ever lower, the seed stays.
    best = m.realTotal >= best.realTotal ? m : Model.play(pods, coTenants, sloShare, seedGrants);
    int kills = 0;
    for (int tried = 0; tried < KILL_TRIES; tried++) {
      int victim = best.bestKill();
      if (victim < 0) break;
      AllocationPolicy.Grant[] g = best.grants();
      SimPod p = pods.get(victim);
      g[victim] = new AllocationPolicy.Grant(g[victim].cores(), p.workingSetMb() - 1, null);
      Model killed = Model.play(pods, coTenants, sloShare, g);
      killed.ascend();
      Model replayed = Model.play(pods, coTenants, sloShare, killed.grants());
      if (replayed.realTotal > best.realTotal + 1e-9) {
        best = replayed;
        kills++;
      } else {
        best.noKill[victim] = true;
      }
    }
    return new Result(best.realTotal / pods.size(), best.grants(), seedScores, from, sweeps, kills, best.outcomes);
  }

  /**
   * One stretch played with fixed grants, kept as what re-scoring needs: per pod its samples (time, its
   * demand, its noise, the co-tenants' demand, and who else ran with their demand), the pods counted at its
   * window's end and whether it started. Core grants change; nothing else may.
   */
  static final class Model {
    final List<SimPod> pods;
    final int n;
    final int[] cores;
    final long[] memory;
    final boolean[] started, declared, noKill;
    final int[] podsCount;
    final double[] reward;
    double realTotal;
    List<SimulationRunner.Outcome> outcomes;
    // Samples, pod by pod: pod k's are [first[k], first[k + 1]).
    int[] first;
    double[] coDemand, ownDemand, noise;
    int[][] members;
    double[][] memberDemand;
    /** affects[j]: the pods whose reward depends on j's core grant (j itself first when it started). */
    int[][] affects;

    private Model(List<SimPod> pods, AllocationPolicy.Grant[] grants) {
      this.pods = pods;
      n = pods.size();
      cores = new int[n];
      memory = new long[n];
      for (int i = 0; i < n; i++) {
        cores[i] = grants[i].cores();
        memory[i] = grants[i].memoryMb();
      }
      started = new boolean[n];
      declared = new boolean[n];
      noKill = new boolean[n];
      podsCount = new int[n];
      reward = new double[n];
    }

    AllocationPolicy.Grant[] grants() {
      AllocationPolicy.Grant[] g = new AllocationPolicy.Grant[n];
      for (int i = 0; i < n; i++) g[i] = new AllocationPolicy.Grant(cores[i], memory[i], null);
      return g;
    }

    /** Plays the stretch in the simulator with {@code grants} and records who ran beside whom. */
    static Model play(List<SimPod> pods, CoTenants co, double sloShare, AllocationPolicy.Grant[] grants) {
      Model m = new Model(pods, grants);
      Map<Integer, Integer> position = positions(pods);
      List<List<long[]>> times = new ArrayList<>();
      List<List<int[]>> with = new ArrayList<>();
      for (int i = 0; i < m.n; i++) {
        times.add(new ArrayList<>());
        with.add(new ArrayList<>());
      }
      List<SimulationRunner.Outcome> out = SimulationRunner.run(pods, pods.size(), co, sloShare, node -> fixed(pods, grants), x -> {},
          (pod, t, running) -> {
            int k = position.get(pod.index());
            times.get(k).add(new long[] {t});
            with.get(k).add(running.stream().mapToInt(r -> position.get(r.pod().index())).toArray());
          });
      m.outcomes = out;
      for (SimulationRunner.Outcome o : out) {
        int k = position.get(o.podIndex());
        m.started[k] = !o.oom();
        m.podsCount[k] = o.pods();
        m.declared[k] = o.declared();
        m.realTotal += o.reward();
      }
      int total = times.stream().mapToInt(List::size).sum();
      m.first = new int[m.n + 1];
      m.coDemand = new double[total];
      m.ownDemand = new double[total];
      m.noise = new double[total];
      m.members = new int[total][];
      m.memberDemand = new double[total][];
      List<TreeSet<Integer>> affects = new ArrayList<>();
      for (int i = 0; i < m.n; i++) affects.add(new TreeSet<>());
      int e = 0;
      for (int k = 0; k < m.n; k++) {
        m.first[k] = e;
        SimPod p = pods.get(k);
        for (int s = 0; s < times.get(k).size(); s++, e++) {
          long t = times.get(k).get(s)[0];
          m.coDemand[e] = co.demand(t);
          m.ownDemand[e] = p.demand(t);
          m.noise[e] = 1 + SimNode.MEASUREMENT_NOISE * Noise.symmetric(p.noiseSeed(), t, 2);
          int[] ms = with.get(k).get(s);
          m.members[e] = ms;
          m.memberDemand[e] = new double[ms.length];
          for (int i = 0; i < ms.length; i++) {
            m.memberDemand[e][i] = pods.get(ms[i]).demand(t);
            affects.get(ms[i]).add(k);
          }
        }
      }
      m.first[m.n] = e;
      m.affects = new int[m.n][];
      for (int j = 0; j < m.n; j++) {
        TreeSet<Integer> a = affects.get(j);
        a.remove(j);
        int[] arr = new int[a.size() + 1];
        arr[0] = j;
        int i = 1;
        for (int k : a) arr[i++] = k;
        m.affects[j] = arr;
      }
      for (int k = 0; k < m.n; k++) m.reward[k] = m.rewardOf(k, -1);
      return m;
    }

    /**
     * Pod {@code k}'s reward under the current core grants, as the simulator scores it ({@link SimNode},
     * {@link PodFeedback}, {@link ServiceModel}'s truth), the same arithmetic in the same order; pod
     * {@code gone} (or none, -1) counted as not on the GPU.
     */
    double rewardOf(int k, int gone) {
      if (!started[k]) return Reward.of(cores[k], 0, false, podsCount[k]);
      int samples = 0, covered = 0;
      double used = 0, within = 0;
      for (int e = first[k]; e < first[k + 1]; e++) {
        double total = coDemand[e];
        int[] ms = members[e];
        for (int i = 0; i < ms.length; i++) if (ms[i] != gone) total += Math.min(memberDemand[e][i], cores[ms[i]]);
        double share = total > 100 ? 100 / total : 1.0;
        double d = ownDemand[e];
        double received = Math.min(d, cores[k]) * share;
        used += Math.min(100, received * noise[e]);
        if (received >= d * SimNode.COVERED_SHARE_OF_DEMAND) covered++;
        if (declared[k]) within += ServiceModel.cdf(ServiceModel.rho(d, received), ServiceModel.P99_SECONDS);
        samples++;
      }
      boolean qos = declared[k] ? within / samples >= 0.99 : covered >= PodFeedback.QOS_COVERED_SHARE * samples;
      return Reward.of(cores[k], Math.min(100, used / samples), qos, podsCount[k]);
    }

    double total() {
      double t = 0;
      for (double r : reward) t += r;
      return t;
    }

    /** Coordinate ascent over core grants, each sweep also trying to serve each unserved pod; returns the sweeps made. */
    int ascend() {
      int sweep = 0;
      while (sweep < SWEEPS) {
        sweep++;
        double gained = 0;
        for (int j = 0; j < n; j++) gained += improve(j);
        for (int k = 0; k < n; k++) if (started[k] && !served(k)) gained += serve(k);
        if (gained < SWEEP_GAIN) break;
      }
      return sweep;
    }

    /** Whether pod k's QoS was met: with it a reward is at least 1 - 0.3 - 0.2, without it at most 0.5 - 0.5. */
    boolean served(int k) { return reward[k] > 0.25; }

    /**
     * The move one grant at a time cannot make: an unserved pod is often held back by several neighbours
     * together, none of whose cuts alone frees enough. Grants pod k enough for its demand's peak and cuts every
     * unserved neighbour beside it to the 10 % floor (an unserved pod loses little by it: its use falls with
     * its grant), kept only if the total rises; returns the total gained.
     */
    double serve(int k) {
      TreeSet<Integer> changed = new TreeSet<>();
      changed.add(k);
      for (int e = first[k]; e < first[k + 1]; e++) for (int m : members[e]) if (m != k && !served(m)) changed.add(m);
      TreeSet<Integer> touched = new TreeSet<>();
      for (int j : changed) for (int a : affects[j]) touched.add(a);
      double before = 0;
      for (int a : touched) before += reward[a];
      int[] old = new int[n];
      for (int j : changed) old[j] = cores[j];
      double peak = 0;
      for (int e = first[k]; e < first[k + 1]; e++) peak = Math.max(peak, ownDemand[e]);
      cores[k] = Math.min(pods.get(k).requestCores(), Math.max(cores[k], (int) Math.ceil(peak)));
      for (int j : changed) if (j != k) cores[j] = Math.min(cores[j], dev.edgeppo.ppo.ActionMapping.MIN_CORES);
      double after = 0;
      double[] now = new double[n];
      for (int a : touched) after += now[a] = rewardOf(a, -1);
      if (after > before + 1e-12) {
        for (int a : touched) reward[a] = now[a];
        return after - before;
      }
      for (int j : changed) cores[j] = old[j];
      return 0;
    }

    /** Moves pod j's core grant to its best candidate level given everyone else's; returns the total gained. */
    double improve(int j) {
      int current = cores[j];
      int[] aff = affects[j];
      double before = 0;
      for (int k : aff) before += reward[k];
      int bestLevel = current;
      double bestGain = 0;
      for (int level : levels(j)) {
        if (level == current) continue;
        cores[j] = level;
        double after = 0;
        for (int k : aff) after += rewardOf(k, -1);
        if (after - before > bestGain + 1e-12) {
          bestGain = after - before;
          bestLevel = level;
        }
      }
      cores[j] = bestLevel;
      if (bestLevel != current) for (int k : aff) reward[k] = rewardOf(k, -1);
      return bestGain;
    }

    /** The core grants worth trying for pod j, within [1, its ask]. */
    int[] levels(int j) {
      SimPod p = pods.get(j);
      int ask = p.requestCores();
      TreeSet<Integer> l = new TreeSet<>();
      int c = cores[j];
      for (int v : new int[] {1, dev.edgeppo.ppo.ActionMapping.MIN_CORES, ask, c - 1, c + 1, c - 3, c + 3})
        l.add(v);
      l.add((int) Math.floor(1.5 * 100.0 / Math.max(1, podsCount[j] - 1)));
      if (started[j]) {
        double[] d = Arrays.copyOfRange(ownDemand, first[j], first[j + 1]);
        Arrays.sort(d);
        for (int q = 0; q <= 10; q++) {
          double v = d[Math.min(d.length - 1, q * d.length / 10)];
          l.add((int) Math.ceil(v));
          l.add((int) Math.ceil(v * SimNode.COVERED_SHARE_OF_DEMAND));
        }
      }
      return l.stream().mapToInt(Integer::intValue).filter(v -> v >= 1 && v <= ask).toArray();
    }

    /**
     * The started pod whose OOM kill the re-scoring says pays most (its own reward falls to an OOM's, the
     * others no longer share the GPU with it; the pods they count and the memory freed are left as they are,
     * the replay settles those); -1 when none is predicted to gain {@link #KILL_PREDICTED_GAIN}.
     */
    int bestKill() {
      int best = -1;
      double bestGain = KILL_PREDICTED_GAIN;
      for (int j = 0; j < n; j++) {
        if (!started[j] || noKill[j] || pods.get(j).workingSetMb() < 2) continue;
        double gain = Reward.of(cores[j], 0, false, podsCount[j]) - reward[j];
        int[] aff = affects[j];
        for (int i = 1; i < aff.length; i++) gain += rewardOf(aff[i], j) - reward[aff[i]];
        if (gain > bestGain) {
          bestGain = gain;
          best = j;
        }
      }
      return best;
    }
  }
}
