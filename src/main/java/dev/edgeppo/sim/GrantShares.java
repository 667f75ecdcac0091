package dev.edgeppo.sim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where each policy's core grants sit on one stretch, by what SPEC §1's state shows of a pod: the cores ask (small
 * or big, {@link UsageModel#SMALL_ASK}) and the memory ask in the state-limited reference's three ranges (on the
 * synthetic mix they tell inference, bursty and training apart). Beside each group, the share of their ask its pods
 * need at their peak, which no policy sees. It shows which pods a policy cuts too little or too much against the
 * references, where one figure over all pods cannot.
 *
 * @param groups group name → its pods, their mean peak demand as a share of the ask, and each policy's mean grant
 *               as a share of the ask
 */
public record GrantShares(Map<String, Group> groups) {
  public record Group(int pods, double peakShare, Map<String, Double> grantShare) {}

  /** The memory-ask ranges' names, in the order of {@link StateLimitedHindsight#SUITE_BUCKETS}' memory edges. */
  static final List<String> MEMORY_RANGES = List.of("low_memory", "mid_memory", "high_memory");

  /** @param grants policy → its grant to each of {@code pods} (by position) */
  public static GrantShares of(List<SimPod> pods, Map<String, AllocationPolicy.Grant[]> grants) {
    double[] edges = StateLimitedHindsight.SUITE_BUCKETS.askMemory();
    if (edges.length + 1 != MEMORY_RANGES.size()) throw new IllegalStateException("a name for each memory range");
    Map<String, double[]> peak = new TreeMap<>();
    Map<String, Map<String, double[]>> share = new TreeMap<>();
    for (int k = 0; k < pods.size(); k++) {
      SimPod p = pods.get(k);
      int range = 0;
      while (range < edges.length && p.requestMemoryMb() > edges[range] * SimNode.TOTAL_MIB) range++;
      String key = (p.requestCores() <= UsageModel.SMALL_ASK ? "small" : "big") + "/" + MEMORY_RANGES.get(range);
      double[] pk = peak.computeIfAbsent(key, x -> new double[2]);
      pk[0]++;
      pk[1] += Math.min(100, Math.max(p.baseDemand(), p.burstDemand())) / p.requestCores();
      Map<String, double[]> byPolicy = share.computeIfAbsent(key, x -> new LinkedHashMap<>());
      for (var e : grants.entrySet()) byPolicy.computeIfAbsent(e.getKey(), x -> new double[1])[0] += e.getValue()[k].cores() / (double) p.requestCores();
    }
    Map<String, Group> groups = new LinkedHashMap<>();
    peak.forEach((key, pk) -> {
      Map<String, Double> g = new LinkedHashMap<>();
      share.get(key).forEach((policy, sum) -> g.put(policy, sum[0] / pk[0]));
      groups.put(key, new Group((int) pk[0], pk[1] / pk[0], g));
    });
    return new GrantShares(groups);
  }
}
