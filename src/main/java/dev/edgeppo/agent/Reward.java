package dev.edgeppo.agent;

/**
 * SPEC §1's reward: efficiency (used / granted, at most 1) half-weighted, QoS +1 or -0.5, a penalty for
 * taking more than 1.5 fair shares and one for a grant under 10 %.
 */
public final class Reward {
  private Reward() {}

  public static double of(int grantedCores, double actualUsage, boolean qosMet, int pods) {
    if (grantedCores < 1) throw new IllegalArgumentException("granted cores must be >= 1, got " + grantedCores);
    double efficiency = Math.min(actualUsage / grantedCores, 1.0);
    double fairShare = 100.0 / Math.max(1, pods - 1);
    double r = 0.5 * efficiency + (qosMet ? 1.0 : -0.5);
    if (grantedCores > 1.5 * fairShare) r -= 0.3;
    if (grantedCores < dev.edgeppo.ppo.ActionMapping.MIN_CORES) r -= 0.2;
    return r;
  }
}
