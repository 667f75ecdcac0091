package dev.edgeppo.sim;

import dev.edgeppo.agent.Reward;
import dev.edgeppo.random.Noise;

/**
 * A true upper bound on the SPEC §1 reward any policy can score for one pod of a simulated run: the best
 * reward over every grant the pod could be given (1 to its ask, cores %), with everything outside the grant
 * at its most favourable value. No policy scores a pod above it, whatever it knows; proof in
 * docs/learning.md, "The bound". In short, for a fixed grant {@code g}:
 * <ul>
 * <li>when the pod's measured window samples are taken depends only on its arrival and lifetime, not on
 *     any policy, and so does its demand path (a pure function of its own seed and the time);</li>
 * <li>contention only scales what the pod receives by a share at most 1: it lowers its measured use (the
 *     efficiency term rises with use) and can only turn covered samples into uncovered ones (QoS), so the
 *     pod alone on the GPU beside the co-tenants (which no policy places, so none can remove) scores at
 *     least as much; the more the others want the smaller the share, so they can only lower it further;</li>
 * <li>the over-fair-share penalty falls as {@code pods} falls; whatever the policy grants (it may OOM-kill
 *     every other pod through their memory grants) the pods counted are at least this pod and the
 *     co-tenants the node had at that moment;</li>
 * <li>an OOM-killed pod scores {@code Reward.of(g, 0, false, pods)}, which the same maximum covers.</li>
 * </ul>
 * The bound is loose where it assumes the fewest pods: a policy cannot in practice make every neighbour
 * vanish, so in a crowded stretch the bound keeps up to 0.3 a pod (the penalty) that nobody can take.
 */
public final class HindsightBound {
  private HindsightBound() {}

  /** Covered needs the pod's share of the GPU at least this: {@code share >= 0.9}, so what all want at most 100 / 0.9. */
  static final double MAX_WANTED = 100 / SimNode.COVERED_SHARE_OF_DEMAND;
  /** Subgradient steps on the multipliers; the bound is valid after any number, more only tightens it. */
  static final int ITERATIONS = 200;
  /** The first step's size (reward per cores % of demand); steps shrink as 1/sqrt(k). */
  static final double STEP = 0.004;
  static final double MEMORY_STEP = 100;
  static final double COUNT_STEP = 0.5;

  /**
   * What one pod could score, apart from the GPU's capacity and memory: started without QoS, started with
   * QoS (-inf when no grant covers 90 % of its samples even alone), OOM-killed; its samples' times and
   * demand, how many it must have covered for QoS, and when it arrives and leaves with how much memory.
   */
  record PodOptions(double withoutQos, double withQos, double oom, long[] times, double[] demand, int toCover,
                    long arrival, long end, long workingSet) {
    double best() { return Math.max(oom, Math.max(withoutQos, withQos)); }
  }

  static PodOptions options(SimPod pod, CoTenants coTenants) { return options(pod, coTenants, false); }

  /**
   * As above for a pod that {@code declares} a service level (SPEC §4): its QoS is then its window's p99
   * ({@link ServiceModel}'s truth), which also only falls as what it receives falls, so it is judged the same
   * way at its best; it need not have 90 % of its samples covered, so it takes no part in the cores constraint.
   */
  static PodOptions options(SimPod pod, CoTenants coTenants, boolean declares) {
    long window = Math.min(SimulationRunner.WINDOW_S, pod.lifetimeS());
    long step = SimulationRunner.SAMPLE_INTERVAL_S;
    long windowEnd = pod.arrivalS() + Math.max(step, (window + step - 1) / step * step);
    int n = (int) ((windowEnd - pod.arrivalS()) / step);
    long[] times = new long[n];
    double[] demand = new double[n], noise = new double[n], co = new double[n];
    for (int i = 0; i < n; i++) {
      long t = pod.arrivalS() + step * (i + 1);
      times[i] = t;
      demand[i] = pod.demand(t);
      noise[i] = 1 + SimNode.MEASUREMENT_NOISE * Noise.symmetric(pod.noiseSeed(), t, 2);
      co[i] = coTenants.demand(t);
    }
    int podsRun = 1 + coTenants.count(windowEnd);
    int podsOom = 1 + coTenants.count(pod.arrivalS() + step);
    double without = Double.NEGATIVE_INFINITY, with = Double.NEGATIVE_INFINITY, oom = Double.NEGATIVE_INFINITY;
    for (int g = 1; g <= pod.requestCores(); g++) {
      double used = 0, within = 0;
      int covered = 0;
      for (int i = 0; i < n; i++) {
        // The co-tenants are there whatever the policy does, and other pods only add to what is wanted: the
        // pod receives at most its share beside the co-tenants alone (the simulator's formula with them only).
        double wanted = Math.min(demand[i], g), total = co[i] + wanted;
        double received = wanted * (total > 100 ? 100 / total : 1.0);
        used += Math.min(100, received * noise[i]);
        if (received >= demand[i] * SimNode.COVERED_SHARE_OF_DEMAND) covered++;
        if (declares) within += ServiceModel.cdf(ServiceModel.rho(demand[i], received), ServiceModel.P99_SECONDS);
      }
      double usage = Math.min(100, used / n);
      if (declares ? within / n >= 0.99 : covered >= PodFeedback.QOS_COVERED_SHARE * n) with = Math.max(with, Reward.of(g, usage, true, podsRun));
      without = Math.max(without, Reward.of(g, usage, false, podsRun));
      oom = Math.max(oom, Reward.of(g, 0, false, podsOom));
    }
    int toCover = declares ? 0 : (int) Math.ceil(PodFeedback.QOS_COVERED_SHARE * n - 1e-9);
    return new PodOptions(without, with, oom, times, demand, toCover, pod.arrivalS(),
        Math.max(windowEnd, pod.arrivalS() + pod.lifetimeS()), pod.workingSetMb());
  }

  /**
   * The bound of a whole stretch of pods played on one node (the suite's scored arrivals), as a mean a pod:
   * tighter than the mean of {@link #of(SimPod, CoTenants)} because it also knows the GPU's capacity and
   * memory (proof in docs/learning.md). Two families of constraints hold for every policy:
   * <ul>
   * <li>cores: at a sample time a pod is covered only if its share of the GPU is at least 0.9 and it
   *     receives 0.9 of its demand, so the co-tenants' demand plus 0.9 times the demand of the pods covered
   *     then is at most 100 / 0.9;</li>
   * <li>memory: a pod starts (is not OOM-killed) only if its working set fits beside those of the pods
   *     running at its arrival and the co-tenants' memory; written linearly with a big-M term so that it
   *     binds only when the pod starts.</li>
   * </ul>
   * Relaxing both with a multiplier each (weak duality: any multipliers {@code >= 0} give a bound), every
   * pod chooses alone between OOM, starting without QoS and paying for its cheapest 90 % of samples;
   * subgradient steps lower the bound and the lowest seen is kept. Never above the per-pod bound
   * (multipliers all 0 give it exactly).
   */
  public static double stretch(java.util.List<SimPod> pods, CoTenants coTenants) { return stretch(pods, coTenants, 0); }

  /** As above with a share {@code sloShare} of pods declaring a service level ({@link ServiceModel#declares}). */
  public static double stretch(java.util.List<SimPod> pods, CoTenants coTenants, double sloShare) {
    if (pods.isEmpty()) return Double.NaN;
    int np = pods.size();
    java.util.List<PodOptions> opts = pods.stream().map(p -> options(p, coTenants, ServiceModel.declares(p, sloShare))).toList();
    // The sample times of the stretch, each once; slot[p][i]: the index of pod p's i-th sample time.
    long[] times = opts.stream().flatMapToLong(o -> java.util.Arrays.stream(o.times())).sorted().distinct().toArray();
    int span = times.length;
    int[][] slot = new int[np][];
    for (int p = 0; p < np; p++) {
      long[] ts = opts.get(p).times();
      slot[p] = new int[ts.length];
      for (int i = 0; i < ts.length; i++) slot[p][i] = java.util.Arrays.binarySearch(times, ts[i]);
    }
    double[] capacity = new double[span], lambda = new double[span], load = new double[span];
    for (int k = 0; k < span; k++)
      capacity[k] = Math.max(0, (MAX_WANTED - coTenants.demand(times[k])) / SimNode.COVERED_SHARE_OF_DEMAND);
    // Memory: pod i's constraint counts the pods before it (arrival order, as the simulator starts them)
    // still running at its arrival. others[i]: their indices; free[i]: what the co-tenants leave then.
    int[][] others = new int[np][];
    double[] free = new double[np], bigM = new double[np], mu = new double[np], nu = new double[np];
    int[] maxStarted = new int[np];
    java.util.List<java.util.List<Integer>> inConstraints = new java.util.ArrayList<>();
    for (int i = 0; i < np; i++) inConstraints.add(new java.util.ArrayList<>());
    for (int i = 0; i < np; i++) {
      PodOptions oi = opts.get(i);
      java.util.List<Integer> before = new java.util.ArrayList<>();
      double leastCoMemory = Double.POSITIVE_INFINITY;
      for (int j = i - 1; j >= 0; j--) {
        PodOptions oj = opts.get(j);
        if (oj.end() > oi.arrival()) {
          before.add(j);
          leastCoMemory = Math.min(leastCoMemory, coTenants.memoryMb(oj.arrival()));
          inConstraints.get(j).add(i);
        }
      }
      others[i] = before.stream().mapToInt(Integer::intValue).toArray();
      free[i] = SimNode.TOTAL_MIB - coTenants.memoryMb(oi.arrival());
      // Started or not, the pods running at its arrival fit beside the co-tenants when the last of them
      // started: at most TOTAL less the least co-tenant memory at their arrivals. So the constraint binds
      // with M = what that can exceed the free memory now (0 without co-tenants: a plain knapsack).
      bigM[i] = before.isEmpty() ? 0 : Math.max(0, SimNode.TOTAL_MIB - leastCoMemory - free[i]);
      // The same fact as a count (a cover cut, tighter where working sets are large): of the pod and those
      // before it still running, at most as many start as the smallest working sets fit in that room.
      double room = free[i] + bigM[i];
      double[] sets = java.util.stream.IntStream.concat(java.util.stream.IntStream.of(i), before.stream().mapToInt(Integer::intValue))
          .mapToDouble(k -> opts.get(k).workingSet()).sorted().toArray();
      int fit = 0;
      for (double used = 0; fit < sets.length && used + sets[fit] <= room; fit++) used += sets[fit];
      maxStarted[i] = fit;
    }
    boolean[] starts = new boolean[np];
    double best = Double.POSITIVE_INFINITY;
    for (int it = 0; it <= ITERATIONS; it++) {
      java.util.Arrays.fill(load, 0);
      double total = 0;
      for (int j = 0; j < np; j++) {
        PodOptions o = opts.get(j);
        double memCost = mu[j] * (o.workingSet() + bigM[j]);
        memCost += nu[j];
        for (int i : inConstraints.get(j)) memCost += mu[i] * o.workingSet() + nu[i];
        double run = choose(o, slot[j], lambda, load, memCost);
        starts[j] = run > o.oom();
        total += Math.max(run, o.oom());
      }
      for (int k = 0; k < span; k++) total += lambda[k] * capacity[k];
      for (int i = 0; i < np; i++) total += mu[i] * (free[i] + bigM[i]) + nu[i] * maxStarted[i];
      best = Math.min(best, total);
      double stepSize = STEP / Math.sqrt(it + 1);
      for (int k = 0; k < span; k++) lambda[k] = Math.max(0, lambda[k] + stepSize * (load[k] - capacity[k]) / 100);
      for (int i = 0; i < np; i++) {
        double l = starts[i] ? opts.get(i).workingSet() + bigM[i] : 0;
        int count = starts[i] ? 1 : 0;
        for (int j : others[i])
          if (starts[j]) {
            l += opts.get(j).workingSet();
            count++;
          }
        nu[i] = Math.max(0, nu[i] + stepSize * (count - maxStarted[i]) / COUNT_STEP);
        // Steps scaled by hand (MEMORY_STEP, COUNT_STEP: the lowest bound on the suite's trace arrivals); any
        // scale gives a bound, a good one a tighter bound.
        mu[i] = Math.max(0, mu[i] + stepSize * (l - free[i] - bigM[i]) / SimNode.TOTAL_MIB / MEMORY_STEP);
      }
    }
    return best / np;
  }

  /**
   * A started pod's best under the multipliers, {@code memCost} already charged: without QoS, or with it
   * paying for its cheapest 90 % of samples. Only when QoS wins (over starting without it and over being
   * OOM-killed) does it add the demand it covers to {@code load}, the constraint's side of the subgradient.
   */
  private static double choose(PodOptions o, int[] slot, double[] lambda, double[] load, double memCost) {
    double without = o.withoutQos() - memCost;
    if (o.withQos() == Double.NEGATIVE_INFINITY) return without;
    int n = o.times().length;
    double[] cost = new double[n];
    for (int i = 0; i < n; i++) cost[i] = lambda[slot[i]] * o.demand()[i];
    // The cheapest toCover samples: those below the toCover-th smallest cost, then ties up to the count.
    double[] sorted = cost.clone();
    java.util.Arrays.sort(sorted);
    double paid = 0;
    for (int i = 0; i < o.toCover(); i++) paid += sorted[i];
    double with = o.withQos() - memCost - paid;
    if (with <= without || with <= o.oom()) return without;
    if (o.toCover() == 0) return with; // a declaring pod: its QoS is its p99, no sample need be covered
    double threshold = sorted[o.toCover() - 1];
    int below = 0;
    for (int i = 0; i < n; i++) if (cost[i] < threshold) below++;
    int ties = o.toCover() - below;
    for (int i = 0; i < n; i++)
      if (cost[i] < threshold || (cost[i] == threshold && ties-- > 0)) load[slot[i]] += o.demand()[i];
    return with;
  }

  /**
   * Share of {@code pods} whose QoS some grant can meet at all, each alone on the GPU beside the co-tenants:
   * the others can never be served, by any policy (the suite's diagnosis of where the headroom is).
   */
  public static double servableShare(java.util.List<SimPod> pods, CoTenants coTenants, double sloShare) {
    return pods.stream().filter(p -> options(p, coTenants, ServiceModel.declares(p, sloShare)).withQos() > Double.NEGATIVE_INFINITY).count() / (double) pods.size();
  }

  /** The bound of one pod run on a node with {@code coTenants}. */
  public static double of(SimPod pod, CoTenants coTenants) {
    return options(pod, coTenants).best();
  }

  /** As above, the pod declaring a service level where {@link ServiceModel#declares} says so for {@code sloShare}. */
  public static double of(SimPod pod, CoTenants coTenants, double sloShare) {
    return options(pod, coTenants, ServiceModel.declares(pod, sloShare)).best();
  }

  /** The mean of each pod's own bound over {@code pods} (the looser bound: no capacity); NaN when there are none. */
  public static double mean(java.util.List<SimPod> pods, CoTenants coTenants) {
    return pods.stream().mapToDouble(p -> of(p, coTenants)).average().orElse(Double.NaN);
  }
}
