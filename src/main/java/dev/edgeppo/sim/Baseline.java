package dev.edgeppo.sim;

import dev.edgeppo.agent.ActionMapper;
import dev.edgeppo.agent.Reward;
import dev.edgeppo.telemetry.Telemetry;
import java.util.SplittableRandom;

/**
 * Fixed rules to hold PPO against, scored by the same {@link Reward} on the same arrivals.
 * <ul>
 * <li>{@code grant_requested}: what every pod asked for (today's practice: requests are honoured).</li>
 * <li>{@code fixed_fraction}: a fixed share of the cores asked for (at least 1 %), memory as asked (cutting
 *     memory only buys OOMs, the reward has no term for it).</li>
 * <li>{@code random}: a uniformly random action in [0, 1]² through SPEC's action mapping.</li>
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

  public static Baseline random(long seed) { return new RandomGrant(seed); }

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
      return new Grant((int) Math.max(1, Math.round(fraction * pod.requestCores())), pod.requestMemoryMb(), null);
    }
  }

  static final class RandomGrant extends Baseline {
    private final SplittableRandom rng;

    RandomGrant(long seed) {
      super("random");
      this.rng = new SplittableRandom(seed);
    }

    @Override
    public Grant allocate(SimPod pod, Telemetry node, boolean evaluation) {
      float[] a = {(float) rng.nextDouble(), (float) rng.nextDouble()};
      ActionMapper.Grant g = ActionMapper.grant(a, pod.requestCores(), pod.requestMemoryMb(), SimNode.TOTAL_MIB);
      return new Grant(g.cores(), g.memoryMb(), null);
    }
  }
}
