package dev.edgeppo.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * Plays one list of arrivals against one policy on a fresh {@link SimNode}, in simulated time.
 *
 * <p>A pod is allocated when it arrives (the policy reads the node then), starts with its grant, and is
 * measured every {@value #SAMPLE_INTERVAL_S} s for its measurement window (the first {@value #WINDOW_S} s,
 * or its whole life if shorter). At the window's end comes its one feedback, computed by
 * {@link PodFeedback}. A pod OOM-killed on start reports {@value #SAMPLE_INTERVAL_S} s later. Pods past
 * their window keep running (and loading the node) until the end of their life.
 */
public final class SimulationRunner {
  public static final long SAMPLE_INTERVAL_S = 2;
  public static final long WINDOW_S = 60;
  public static final double QOS_COVERED_SHARE = PodFeedback.QOS_COVERED_SHARE;

  private SimulationRunner() {}

  /** How one allocation went. {@code order}: position among all feedbacks of the run. */
  public record Outcome(int order, int podIndex, boolean evaluation, WorkloadClass workload, int grantCores,
                        double actualUsage, boolean qosMet, boolean oom, int pods, double reward) {}

  private static final int SAMPLE = 0, DEPART = 1, OOM_REPORT = 2;

  private static final class Live {
    final SimPod pod;
    final AllocationPolicy.Grant grant;
    final boolean evaluation;
    final SimNode.Running running;
    final long windowEnd;
    final PodFeedback.Window window = new PodFeedback.Window();

    Live(SimPod pod, AllocationPolicy.Grant grant, boolean evaluation, SimNode.Running running) {
      this.pod = pod;
      this.grant = grant;
      this.evaluation = evaluation;
      this.running = running;
      long window = Math.min(WINDOW_S, pod.lifetimeS());
      this.windowEnd = pod.arrivalS() + Math.max(SAMPLE_INTERVAL_S, ceilTo(window, SAMPLE_INTERVAL_S));
    }

    long end() { return Math.max(windowEnd, pod.arrivalS() + pod.lifetimeS()); }
  }

  private record Event(long time, long seq, int kind, Live live) implements Comparable<Event> {
    @Override
    public int compareTo(Event o) {
      int c = Long.compare(time, o.time);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  /**
   * @param pods       arrivals in time order
   * @param trainCount pods before this index are the training stretch, the rest the evaluation stretch
   * @param policyFor  builds the policy for the fresh node (PPO's core reads that node)
   * @param progress   told the number of feedbacks so far, after each one
   */
  public static List<Outcome> run(List<SimPod> pods, int trainCount, Function<SimNode, AllocationPolicy> policyFor,
                                  IntConsumer progress) {
    return run(pods, trainCount, CoTenants.NONE, policyFor, progress);
  }

  /** As above, on a node shared with {@code coTenants}. */
  public static List<Outcome> run(List<SimPod> pods, int trainCount, CoTenants coTenants,
                                  Function<SimNode, AllocationPolicy> policyFor, IntConsumer progress) {
    SimNode node = new SimNode(coTenants);
    List<Outcome> out = new ArrayList<>(pods.size());
    PriorityQueue<Event> events = new PriorityQueue<>();
    long seq = 0;
    try (AllocationPolicy policy = policyFor.apply(node)) {
      int next = 0;
      while (next < pods.size() || !events.isEmpty()) {
        long arrival = next < pods.size() ? pods.get(next).arrivalS() : Long.MAX_VALUE;
        // Events due at the arrival's second come first: the arriving pod sees what has just happened.
        if (!events.isEmpty() && events.peek().time() <= arrival) {
          Event e = events.poll();
          node.advanceTo(e.time());
          switch (e.kind()) {
            case SAMPLE -> {
              Live l = e.live();
              l.window.add(node.sample(l.running, e.time()));
              if (e.time() < l.windowEnd) {
                events.add(new Event(e.time() + SAMPLE_INTERVAL_S, seq++, SAMPLE, l));
              } else {
                boolean ended = l.end() <= l.windowEnd;
                report(out, policy, l, PodFeedback.of(l.window, node.podsOnGpu(), ended));
                if (ended) node.stop(l.running);
                else events.add(new Event(l.end(), seq++, DEPART, l));
                progress.accept(out.size());
              }
            }
            case DEPART -> node.stop(e.live().running);
            case OOM_REPORT -> {
              report(out, policy, e.live(), PodFeedback.oomKilled(node.podsOnGpu()));
              progress.accept(out.size());
            }
            default -> throw new AssertionError(e.kind());
          }
          continue;
        }
        SimPod pod = pods.get(next);
        boolean evaluation = next >= trainCount;
        next++;
        node.advanceTo(pod.arrivalS());
        AllocationPolicy.Grant g = policy.allocate(pod, node, evaluation);
        SimNode.Running r = node.start(pod, g.cores(), g.memoryMb());
        Live l = new Live(pod, g, evaluation, r);
        events.add(new Event(pod.arrivalS() + SAMPLE_INTERVAL_S, seq++, r == null ? OOM_REPORT : SAMPLE, l));
      }
    }
    return out;
  }

  private static void report(List<Outcome> out, AllocationPolicy policy, Live l, PodFeedback f) {
    double reward = policy.feedback(l.grant, f.actualUsage(), f.qosMet(), f.pods(), f.done());
    out.add(new Outcome(out.size(), l.pod.index(), l.evaluation, l.pod.workload(), l.grant.cores(), f.actualUsage(), f.qosMet(),
        f.oom(), f.pods(), reward));
  }

  private static long ceilTo(long v, long step) {
    return (v + step - 1) / step * step;
  }
}
