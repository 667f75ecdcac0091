package dev.edgeppo.sim;

import dev.edgeppo.agent.Reward;
import dev.edgeppo.observe.Verdict;
import dev.edgeppo.observe.ObservationRules;
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
 * or its whole life if shorter). Pods past their window keep running (and loading the node) until the end
 * of their life.
 *
 * <p>Each pod is seen twice. The node's pod observer (SPEC §5, the very {@link dev.edgeppo.observe.PodObserver}
 * a node runs, through {@link ObservedPods}) reads its per-process SM % and memory at each sample and gives
 * the feedback the policy is told and learns from, when its window closes or the pod ends. The simulator's
 * ground truth ({@link PodFeedback}: did it receive the cores it wanted) gives the reward each outcome is
 * scored by. A pod OOM-killed on start shows its process once and loses it at the next reading,
 * {@value #SAMPLE_INTERVAL_S} s after it arrived.
 */
public final class SimulationRunner {
  public static final long SAMPLE_INTERVAL_S = 2;
  public static final long WINDOW_S = 60;
  public static final double QOS_COVERED_SHARE = PodFeedback.QOS_COVERED_SHARE;

  private SimulationRunner() {}

  /**
   * How one allocation went. {@code order}: position among all feedbacks of the run. {@code actualUsage},
   * {@code qosMet}, {@code pods} and {@code reward} are the ground truth (SPEC §1's reward of what the pod
   * experienced: what the run is scored by); {@code observedQosMet} and {@code learnedReward} are what the
   * node's observer judged and the policy computed from it.
   */
  public record Outcome(int order, int podIndex, boolean evaluation, WorkloadClass workload, int grantCores,
                        double actualUsage, boolean qosMet, boolean oom, int pods, double reward,
                        boolean observedQosMet, double learnedReward, boolean declared) {
    /** An outcome of a pod that declared no service level. */
    public Outcome(int order, int podIndex, boolean evaluation, WorkloadClass workload, int grantCores, double actualUsage,
                   boolean qosMet, boolean oom, int pods, double reward, boolean observedQosMet, double learnedReward) {
      this(order, podIndex, evaluation, workload, grantCores, actualUsage, qosMet, oom, pods, reward, observedQosMet,
          learnedReward, false);
    }
  }

  private static final int SAMPLE = 0, DEPART = 1, OOM_REPORT = 2;

  private static final class Live {
    final SimPod pod;
    final AllocationPolicy.Grant grant;
    final boolean evaluation;
    final SimNode.Running running;
    final long windowEnd;
    final PodFeedback.Window window = new PodFeedback.Window();
    ObservedPods.Watch watch;
    /** Its service level's window, when it declares one (and started). */
    ServiceModel.Window slo;
    final boolean declares;

    Live(SimPod pod, AllocationPolicy.Grant grant, boolean evaluation, SimNode.Running running, boolean declares) {
      this.declares = declares;
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
    return run(pods, trainCount, coTenants, 0, policyFor, progress);
  }

  /**
   * As above, with a share {@code sloShare} of pods declaring a service level ({@link ServiceModel}): the
   * observer judges them by their metrics first (SPEC §5 rule 1) and the truth for them is their window's
   * exact p99 against the objective.
   */
  public static List<Outcome> run(List<SimPod> pods, int trainCount, CoTenants coTenants, double sloShare,
                                  Function<SimNode, AllocationPolicy> policyFor, IntConsumer progress) {
    return run(pods, trainCount, coTenants, sloShare, policyFor, progress, null);
  }

  /**
   * Told, at each of a pod's samples, which pods were running then (itself included, in the node's order):
   * who shares the GPU at each moment depends only on arrivals, lifetimes and which pods were OOM-killed,
   * never on core grants, so {@link Hindsight} can re-score other core grants without re-playing the run.
   */
  interface SampleRecorder {
    void sample(SimPod pod, long time, List<SimNode.Running> running);
  }

  /** As above, telling {@code recorder} (if not null) who ran at each sample. */
  static List<Outcome> run(List<SimPod> pods, int trainCount, CoTenants coTenants, double sloShare,
                           Function<SimNode, AllocationPolicy> policyFor, IntConsumer progress, SampleRecorder recorder) {
    SimNode node = new SimNode(coTenants);
    ObservedPods observer = ObservedPods.of(node, coTenants);
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
              if (recorder != null) recorder.sample(l.pod, e.time(), node.running());
              SimNode.Sample sample = node.sample(l.running, e.time());
              l.window.add(sample);
              if (l.slo != null) {
                l.slo.add(l.pod.demand(e.time()), sample.received(), SAMPLE_INTERVAL_S);
                l.slo.scrape(e.time());
              }
              Verdict seen = observer.tick(l.watch, e.time(), null);
              if (e.time() < l.windowEnd) {
                if (seen != null) throw new IllegalStateException("pod " + l.pod.name() + " judged before its window's end");
                events.add(new Event(e.time() + SAMPLE_INTERVAL_S, seq++, SAMPLE, l));
              } else {
                boolean ended = l.end() <= l.windowEnd;
                PodFeedback truth = PodFeedback.of(l.window, node.podsOnGpu(), ended);
                if (l.slo != null) truth = truth.withQosMet(l.slo.truthMet());
                if (ended) {
                  node.stop(l.running);
                  observer.ended(l.pod.index());
                  seen = observer.tick(l.watch, e.time(), null);
                } else {
                  events.add(new Event(l.end(), seq++, DEPART, l));
                }
                if (seen == null) throw new IllegalStateException("pod " + l.pod.name() + " not judged at its window's end");
                if (l.slo != null) seen = ObservationRules.withServiceLevel(seen, l.slo.judged());
                report(out, policy, l, truth, seen);
                progress.accept(out.size());
              }
            }
            case DEPART -> {
              node.stop(e.live().running);
              observer.ended(e.live().pod.index());
            }
            case OOM_REPORT -> {
              Live l = e.live();
              PodFeedback truth = PodFeedback.oomKilled(node.podsOnGpu());
              // It held what it could get before it failed: its grant, or what the others left of the GPU.
              long held = Math.min(l.grant.memoryMb(), Math.max(0, SimNode.TOTAL_MIB - node.memoryInUseMb() - coTenants.memoryMb(e.time())));
              Verdict seen = observer.crashedOnStart(observer.watch(l.pod.index(), l.grant.cores(), l.grant.memoryMb(), l.pod.requestCores(), WINDOW_S),
                  e.time(), l.pod.index(), held);
              report(out, policy, l, truth, seen);
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
        Live l = new Live(pod, g, evaluation, r, ServiceModel.declares(pod, sloShare));
        if (r != null) {
          if (l.declares) {
            l.slo = new ServiceModel.Window();
            l.slo.scrape(pod.arrivalS()); // the window's first scrape, as the node's, before any request
          }
          // The observer's window runs from the first reading to the last sample; a pod that ends then is
          // judged as ended (with done), so its window must not close at that same reading.
          long first = pod.arrivalS() + SAMPLE_INTERVAL_S;
          l.watch = observer.watch(pod.index(), g.cores(), g.memoryMb(), pod.requestCores(),
              l.windowEnd - first + (l.end() <= l.windowEnd ? SAMPLE_INTERVAL_S : 0));
        }
        events.add(new Event(pod.arrivalS() + SAMPLE_INTERVAL_S, seq++, r == null ? OOM_REPORT : SAMPLE, l));
      }
    }
    return out;
  }

  /** The policy is told what the observer saw; the outcome is scored by what the pod experienced. */
  private static void report(List<Outcome> out, AllocationPolicy policy, Live l, PodFeedback truth, Verdict seen) {
    double learned = policy.feedback(l.grant, seen.actualUsage(), seen.qosMet(), seen.pods(), seen.done());
    double scored = Reward.of(l.grant.cores(), truth.actualUsage(), truth.qosMet(), truth.pods());
    out.add(new Outcome(out.size(), l.pod.index(), l.evaluation, l.pod.workload(), l.grant.cores(), truth.actualUsage(),
        truth.qosMet(), truth.oom(), truth.pods(), scored, seen.qosMet(), learned, l.declares));
  }

  private static long ceilTo(long v, long step) {
    return (v + step - 1) / step * step;
  }
}
