package dev.edgeppo.sim;

import java.util.List;

/**
 * What one stretch of a run adds up to. {@code utilizationEfficiency} is total use over total grant (cores
 * %), the node-level figure an operator watches, not a mean of per-pod ratios.
 */
public record PolicyStats(int feedbacks, double meanReward, double qosRate, double utilizationEfficiency, double oomRate) {

  public static PolicyStats of(List<SimulationRunner.Outcome> outcomes, boolean evaluation) {
    int n = 0, qos = 0, oom = 0;
    double reward = 0, used = 0, granted = 0;
    for (SimulationRunner.Outcome o : outcomes) {
      if (o.evaluation() != evaluation) continue;
      n++;
      reward += o.reward();
      if (o.qosMet()) qos++;
      if (o.oom()) oom++;
      used += o.actualUsage();
      granted += o.grantCores();
    }
    if (n == 0) return new PolicyStats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    return new PolicyStats(n, reward / n, qos / (double) n, granted == 0 ? 0 : used / granted, oom / (double) n);
  }
}
