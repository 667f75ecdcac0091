package dev.edgeppo.sim;

import dev.edgeppo.agent.ActionMapper;
import dev.edgeppo.agent.Reward;
import dev.edgeppo.ppo.ActionMapping;
import dev.edgeppo.telemetry.Telemetry;
import java.util.SplittableRandom;

/**
 * Fixed rules to hold PPO against, scored by the same {@link Reward} on the same arrivals.
 * <ul>
 * <li>{@code grant_requested}: what every pod asked for (today's practice: requests are honoured).</li>
 * <li>{@code fixed_fraction}: a fixed share of the cores asked for (at least 1 %), memory as asked (cutting
 *     memory only buys OOMs, the reward has no term for it).</li>
 * <li>{@code random}: a uniformly random action in [0, 1]² through the agent's action mapping.</li>
 * <li>{@code demand_aware}: knows each pod's demand profile and grants what would score best were the pod
 *     alone in getting what it wants, memory as asked: a reference, not a bound (it ignores contention; the
 *     bound is {@link HindsightBound}).</li>
 * </ul>
 */
public abstract sealed class Baseline implements AllocationPolicy {
  private final String name;

  private Baseline(String name) { this.name = name; }

  @Override
  public String name() { return name; }

  @Override
  public double feedback(Grant grant, double actualUsage, boolean qosMet, int pods, boolean done) {
    return Reward.of(grant.cores(), actualUsage, qosMet, pods);
  }

  public static Baseline grantRequested() { return new GrantRequested(); }

  public static Baseline fixedFraction(double fraction) { return new FixedFraction(fraction); }

  public static Baseline random(long seed) { return new RandomGrant(seed, ActionMapping.SEED); }

  public static Baseline random(long seed, ActionMapping mapping) { return new RandomGrant(seed, mapping); }

  public static Baseline demandAware() { return new DemandAware(); }

  /**
   * Knows what no agent can: each pod's demand profile (its steady level, or the height and duty of its
   * bursts, and how much it jitters), though not when its bursts fall nor its noise. Grants the cores that
   * maximise this pod's SPEC §1 reward under that knowledge, as if the pod got what it wants: QoS needs its
   * peak covered, its use is its mean demand, and the over-fair-share penalty counts the pods on the GPU
   * now. Memory as asked (the reward has no term for memory; cutting it only risks an OOM). It ignores
   * contention, so it is a reference, not a bound: a policy that throttles a heavy pod for its
   * neighbours' sake can beat it.
   */
  static final class DemandAware extends Baseline {
    DemandAware() { super("demand_aware"); }

    @Override
    public Grant allocate(SimPod pod, Telemetry node, boolean evaluation) {
      double peak = Math.min(100, pod.peakDemand()), mean = Math.min(100, pod.meanDemand());
      int pods = ((SimNode) node).podsOnGpu() + 1;
      int floor = Math.min(ActionMapping.MIN_CORES, pod.requestCores());
      int best = pod.requestCores();
      double bestReward = Double.NEGATIVE_INFINITY;
      for (int g = pod.requestCores(); g >= floor; g--) {
        boolean qos = Math.min(peak, g) >= SimNode.COVERED_SHARE_OF_DEMAND * peak;
        double r = Reward.of(g, Math.min(mean, g), qos, pods);
        if (r > bestReward) {
          bestReward = r;
          best = g;
        }
      }
      return new Grant(best, pod.requestMemoryMb(), null);
    }
  }

  static final class GrantRequested extends Baseline {
    GrantRequested() { super("grant_requested"); }

    @Override
    public Grant allocate(SimPod pod, Telemetry node, boolean evaluation) {
      return new Grant(pod.requestCores(), pod.requestMemoryMb(), null);
    }
  }

  static final class FixedFraction extends Baseline {
    private final double fraction;

    FixedFraction(double fraction) {
      super("fixed_fraction");
      if (!(fraction > 0 && fraction <= 1)) throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
      this.fraction = fraction;
    }

    double fraction() { return fraction; }

    @Override
    public Grant allocate(SimPod pod, Telemetry node, boolean evaluation) {
      return new Grant(coresAt(fraction, pod.requestCores()), pod.requestMemoryMb(), null);
    }
  }

  /**
   * The cores a share {@code fraction} of an ask of {@code askCores} grants (at least 1 %): fixed_fraction's rule,
   * and {@link StateLimitedHindsight}'s, whose family must hold fixed_fraction exactly.
   */
  static int coresAt(double fraction, int askCores) {
    return (int) Math.max(1, Math.round(fraction * askCores));
  }

  static final class RandomGrant extends Baseline {
    private final SplittableRandom rng;
    private final ActionMapping mapping;

    RandomGrant(long seed, ActionMapping mapping) {
      super("random");
      this.rng = new SplittableRandom(seed);
      this.mapping = mapping;
    }

    @Override
    public Grant allocate(SimPod pod, Telemetry node, boolean evaluation) {
      float[] a = {(float) rng.nextDouble(), (float) rng.nextDouble()};
      ActionMapper.Grant g = ActionMapper.grant(mapping, a, pod.requestCores(), pod.requestMemoryMb(), SimNode.TOTAL_MIB);
      return new Grant(g.cores(), g.memoryMb(), null);
    }
  }
}
