package dev.edgeppo.sim;

import dev.edgeppo.observe.FedNode;
import dev.edgeppo.observe.PodObserver;
import dev.edgeppo.observe.SkipReason;
import dev.edgeppo.observe.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * The node's pod observer (SPEC §5) inside the simulator: the simulated pods' feedback is computed by the
 * same {@link PodObserver} and {@link dev.edgeppo.observe.ObservationRules} a node runs, fed with simulated
 * per-process readings instead of NVML's. Each running pod is one GPU process of its own pod (SM % = its
 * measured use, memory = its working set); co-tenants are processes of other pods.
 *
 * <p>Each simulated pod gets an observer of its own, ticked at that pod's sample times, so every pod keeps
 * the sample times the runner gives it; the readings each tick sees are the whole GPU's (so {@code pods}
 * counts every pod on it).
 */
final class ObservedPods {
  private final SimNode node;
  private final LongFunction<List<FedNode.Proc>> others;
  private final FedNode fed = new FedNode();
  private long now;
  private final InstantSource clock = new InstantSource() {
    @Override public Instant instant() { return Instant.ofEpochMilli(millis()); }
    @Override public long millis() { return now * 1000; }
  };

  /** @param others the GPU processes of pods the runner does not allocate (co-tenants) at a second */
  ObservedPods(SimNode node, LongFunction<List<FedNode.Proc>> others) {
    this.node = node;
    this.others = others;
  }

  /** The observer of {@code node}, whose co-tenants show as one process each of a pod of their own. */
  static ObservedPods of(SimNode node, CoTenants coTenants) {
    return new ObservedPods(node, t -> {
      int n = coTenants.count(t);
      if (n == 0) return List.of();
      double share = node.contention(t);
      List<FedNode.Proc> procs = new ArrayList<>(n);
      for (int i = 0; i < n; i++)
        procs.add(new FedNode.Proc(CO_TENANT_PID + i, coTenantUid(i), coTenants.memoryMb(i, t), coTenants.demand(i, t) * share));
      return procs;
    });
  }

  /** PIDs of co-tenants' processes: far above the pods' (index + 1). */
  static final int CO_TENANT_PID = 1 << 30;

  static String coTenantUid(int i) { return "ffffffff-0000-4000-8000-%012x".formatted(i); }

  /** The simulated pod's UID; its GPU process has PID {@code index + 1}. */
  static String uid(int podIndex) { return "%08x-0000-4000-8000-000000000000".formatted(podIndex); }

  /** One pod being watched, and the verdict once its observer judged it. */
  final class Watch implements PodObserver.Sink {
    final PodObserver observer;
    Verdict verdict;
    String skipped;

    Watch(int podIndex, int grantCores, long grantMemoryMb, int requestCores, long windowS) {
      observer = PodObserver.of(fed, fed, this, Duration.ofSeconds(SimulationRunner.SAMPLE_INTERVAL_S),
          Duration.ofSeconds(Math.max(SimulationRunner.SAMPLE_INTERVAL_S, windowS)), clock);
      observer.observe(new PodObserver.Target(Integer.toString(podIndex), uid(podIndex), 0, grantCores, grantMemoryMb,
          requestCores));
    }

    @Override public State state(String id) { return verdict == null && skipped == null ? State.PENDING : State.GONE; }
    @Override public Outcome report(String id, Verdict v) { verdict = v; return Outcome.RECORDED; }
    @Override public void expire(String id, String why) { skipped = why; }
    @Override public void notObserved(String id, SkipReason reason, String why) { skipped = why; }
  }

  /**
   * Starts watching a pod that started now; its observer closes its window {@code windowS} seconds after its
   * first reading.
   */
  Watch watch(int podIndex, int grantCores, long grantMemoryMb, int requestCores, long windowS) {
    return new Watch(podIndex, grantCores, grantMemoryMb, requestCores, windowS);
  }

  /**
   * Shows the GPU as it is at second {@code t} (the running pods, plus {@code extra}, a pod the node never
   * started, e.g. one killed for memory as it started) and ticks {@code w}'s observer once. Returns its
   * verdict once it has one.
   */
  Verdict tick(Watch w, long t, FedNode.Proc extra) {
    now = t;
    List<FedNode.Proc> procs = new ArrayList<>(others.apply(t));
    double share = node.contention(t);
    for (SimNode.Running r : node.running()) {
      int i = r.pod().index();
      procs.add(new FedNode.Proc(i + 1, uid(i), r.pod().workingSetMb(), node.sample(r, t, share).measuredUsage()));
      fed.alive(uid(i), true);
    }
    if (extra != null) {
      procs.add(extra);
      fed.alive(extra.podUid(), true);
    }
    fed.show(0, procs);
    w.observer.tick();
    if (w.skipped != null) throw new IllegalStateException("simulated pod not observed: " + w.skipped);
    return w.verdict;
  }

  /**
   * A pod that crashed for memory as it started (its grant below its working set, or the GPU full): its
   * process shows once, holding {@code memoryMib}, and is gone at the next reading while the pod (whose
   * container the kubelet restarts) still runs. Returns the observer's verdict.
   */
  Verdict crashedOnStart(Watch w, long t, int podIndex, long memoryMib) {
    if (tick(w, t, new FedNode.Proc(podIndex + 1, uid(podIndex), memoryMib, 0)) != null)
      throw new IllegalStateException("a window closed on its first reading");
    Verdict v = tick(w, t, null);
    ended(podIndex);
    if (v == null) throw new IllegalStateException("pod " + podIndex + ": its vanished process was not judged");
    return v;
  }

  /** The pod has ended (its process and its sandbox are gone). */
  void ended(int podIndex) { fed.alive(uid(podIndex), false); }
}
