package dev.edgeppo.sim;

/**
 * How a simulated pod really did, in SPEC §4's feedback fields: the simulator's ground truth, which scores
 * every policy. (What the agent learns from is not this but what the node's pod observer makes of the
 * same pod's per-process readings, SPEC §5: see {@link ObservedPods}. No node can see whether a pod got
 * the cores it wanted, only whether it sat at its cap, so the two can disagree and the suite reports both.)
 * A pod is sampled every {@link SimulationRunner#SAMPLE_INTERVAL_S} s over its window; at the window's end:
 * {@code actual_usage} = mean measured use, {@code qos_met} = it received at least
 * {@link SimNode#COVERED_SHARE_OF_DEMAND} of its demand in at least {@link #QOS_COVERED_SHARE} of the
 * samples, {@code pods} = pods on the GPU then (itself and co-tenants included), {@code done} = it has
 * ended. A pod OOM-killed on start reports 0 % use and QoS missed.
 */
public record PodFeedback(double actualUsage, boolean qosMet, int pods, boolean done, boolean oom) {
  public static final double QOS_COVERED_SHARE = 0.9;

  /** Samples of one pod's window, as they come. */
  public static final class Window {
    private int samples, covered;
    private double usageSum;

    public void add(SimNode.Sample s) {
      samples++;
      usageSum += s.measuredUsage();
      if (s.covered()) covered++;
    }

    public int samples() { return samples; }
  }

  /** The feedback of a pod whose window closed with {@code podsNow} pods on the GPU. */
  public static PodFeedback of(Window w, int podsNow, boolean ended) {
    if (w.samples == 0) throw new IllegalStateException("a window closes after at least one sample");
    return new PodFeedback(Math.min(100, w.usageSum / w.samples), w.covered >= QOS_COVERED_SHARE * w.samples, podsNow, ended, false);
  }

  /** The same feedback with {@code qos_met} decided otherwise (by a declared service level's truth). */
  public PodFeedback withQosMet(boolean met) { return new PodFeedback(actualUsage, met, pods, done, oom); }

  /** The feedback of a pod OOM-killed on start, with {@code podsNow} others on the GPU. */
  public static PodFeedback oomKilled(int podsNow) {
    return new PodFeedback(0, false, podsNow + 1, true, true);
  }
}
