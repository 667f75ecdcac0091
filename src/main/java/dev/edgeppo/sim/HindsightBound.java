package dev.edgeppo.sim;

import dev.edgeppo.agent.Reward;
import dev.edgeppo.random.Noise;

/**
 * A true upper bound on the SPEC §1 reward any policy can score for one pod of a simulated run: the best
 * reward over every grant the pod could be given (1 to its ask, cores %), with everything outside the grant
 * at its most favourable value. No policy scores a pod above it, whatever it knows; proof in
 * docs/learning-bound.md. In short, for a fixed grant {@code g}:
 * <ul>
 * <li>when the pod's measured window samples are taken depends only on its arrival and lifetime, not on
 *     any policy, and so does its demand path (a pure function of its own seed and the time);</li>
 * <li>contention only scales what the pod receives by a share at most 1: it lowers its measured use (the
 *     efficiency term rises with use) and can only turn covered samples into uncovered ones (QoS), so the
 *     pod alone on the GPU scores at least as much;</li>
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

  /** The bound of one pod run on a node with {@code coTenants}. */
  public static double of(SimPod pod, CoTenants coTenants) {
    long window = Math.min(SimulationRunner.WINDOW_S, pod.lifetimeS());
    long step = SimulationRunner.SAMPLE_INTERVAL_S;
    long windowEnd = pod.arrivalS() + Math.max(step, (window + step - 1) / step * step);
    int n = (int) ((windowEnd - pod.arrivalS()) / step);
    double[] demand = new double[n], noise = new double[n];
    for (int i = 0; i < n; i++) {
      long t = pod.arrivalS() + step * (i + 1);
      demand[i] = pod.demand(t);
      noise[i] = 1 + SimNode.MEASUREMENT_NOISE * Noise.symmetric(pod.noiseSeed(), t, 2);
    }
    int podsRun = 1 + coTenants.count(windowEnd);
    int podsOom = 1 + coTenants.count(pod.arrivalS() + step);
    double best = Double.NEGATIVE_INFINITY;
    for (int g = 1; g <= pod.requestCores(); g++) {
      double used = 0;
      int covered = 0;
      for (int i = 0; i < n; i++) {
        double received = Math.min(demand[i], g);
        used += Math.min(100, received * noise[i]);
        if (received >= demand[i] * SimNode.COVERED_SHARE_OF_DEMAND) covered++;
      }
      boolean qos = covered >= PodFeedback.QOS_COVERED_SHARE * n;
      best = Math.max(best, Reward.of(g, Math.min(100, used / n), qos, podsRun));
      best = Math.max(best, Reward.of(g, 0, false, podsOom));
    }
    return best;
  }

  /** The mean bound of {@code pods}; NaN when there are none. */
  public static double mean(java.util.List<SimPod> pods, CoTenants coTenants) {
    return pods.stream().mapToDouble(p -> of(p, coTenants)).average().orElse(Double.NaN);
  }
}
