package dev.edgeppo.sim;

import java.util.List;

/**
 * What one stretch of a run adds up to. {@code utilizationEfficiency} is total use over total grant (cores
 * %), the node-level figure an operator watches, not a mean of per-pod ratios. {@code qosRate} is the share
 * of pods that got what they wanted (the ground truth); {@code observedQosRate} the share the node's
 * observer judged served, and {@code qosAgreement} how often the two said the same; {@code declared} pods declared a
 * service level, and the agreement is split between them and the others.
 */
public record PolicyStats(int feedbacks, double meanReward, double qosRate, double utilizationEfficiency, double oomRate,
                          double observedQosRate, double qosAgreement, int declared, double qosAgreementDeclared,
                          double qosAgreementUndeclared) {
  /** Stats of a stretch in which no pod declared a service level. */
  public PolicyStats(int feedbacks, double meanReward, double qosRate, double utilizationEfficiency, double oomRate,
                     double observedQosRate, double qosAgreement) {
    this(feedbacks, meanReward, qosRate, utilizationEfficiency, oomRate, observedQosRate, qosAgreement, 0, Double.NaN,
        qosAgreement);
  }

  public static PolicyStats of(List<SimulationRunner.Outcome> outcomes, boolean evaluation) {
    int n = 0, qos = 0, oom = 0, seen = 0, agree = 0, declared = 0, agreeDeclared = 0;
    double reward = 0, used = 0, granted = 0;
    for (SimulationRunner.Outcome o : outcomes) {
      if (o.evaluation() != evaluation) continue;
      n++;
      reward += o.reward();
      if (o.qosMet()) qos++;
      if (o.oom()) oom++;
      if (o.observedQosMet()) seen++;
      if (o.observedQosMet() == o.qosMet()) agree++;
      if (o.declared()) {
        declared++;
        if (o.observedQosMet() == o.qosMet()) agreeDeclared++;
      }
      used += o.actualUsage();
      granted += o.grantCores();
    }
    if (n == 0) return new PolicyStats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, Double.NaN, Double.NaN);
    int undeclared = n - declared;
    return new PolicyStats(n, reward / n, qos / (double) n, granted == 0 ? 0 : used / granted, oom / (double) n,
        seen / (double) n, agree / (double) n, declared, declared == 0 ? Double.NaN : agreeDeclared / (double) declared,
        undeclared == 0 ? Double.NaN : (agree - agreeDeclared) / (double) undeclared);
  }
}
