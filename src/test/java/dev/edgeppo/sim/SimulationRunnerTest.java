package dev.edgeppo.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.telemetry.GpuSnapshot;
import dev.edgeppo.telemetry.Telemetry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * When feedback comes and what it says, checked with a policy that records what it is told (the node's
 * observer's verdict) and against the outcome the run is scored by (the simulator's ground truth).
 */
class SimulationRunnerTest {
  record Told(String pod, long at, double usage, boolean qos, int pods, boolean done) {}

  /** Grants what is asked (memory: what the test says) and records every call. */
  static final class Recorder implements AllocationPolicy {
    final SimNode node;
    final long memoryGrant;
    final int coresGrant;
    final List<Told> told = new ArrayList<>();
    final List<GpuSnapshot> seenAtArrival = new ArrayList<>();

    /** @param coresGrant 0: what the pod asks for */
    Recorder(SimNode node, long memoryGrant, int coresGrant) {
      this.node = node;
      this.memoryGrant = memoryGrant;
      this.coresGrant = coresGrant;
    }

    @Override public String name() { return "recorder"; }

    @Override
    public Grant allocate(SimPod pod, Telemetry t, boolean evaluation) {
      seenAtArrival.add(t.read().getFirst());
      return new Grant(coresGrant == 0 ? pod.requestCores() : coresGrant, memoryGrant, pod.name());
    }

    @Override
    public double feedback(Grant g, double usage, boolean qos, int pods, boolean done) {
      told.add(new Told((String) g.token(), node.now(), usage, qos, pods, done));
      return 0;
    }
  }

  static SimPod pod(int i, long arrival, long life, int cores, double demand, long workingSet) {
    return new SimPod(i, "p" + i, WorkloadClass.TRAINING, arrival, life, cores, 4096, workingSet, demand, 0, 0, 0, 0, 99 + i);
  }

  static List<Told> play(List<SimPod> pods, long memoryGrant, int coresGrant, List<Recorder> keep) {
    return play(pods, memoryGrant, coresGrant, keep, CoTenants.NONE, new ArrayList<>());
  }

  static List<Told> play(List<SimPod> pods, long memoryGrant, int coresGrant, List<Recorder> keep, CoTenants co,
                         List<SimulationRunner.Outcome> outcomes) {
    outcomes.addAll(SimulationRunner.run(pods, pods.size(), co, node -> {
      Recorder r = new Recorder(node, memoryGrant, coresGrant);
      keep.add(r);
      return r;
    }, n -> {}));
    return keep.getLast().told;
  }

  @Test
  void feedbackComesAtTheEndOfTheWindowWithWhatThePodUsed() {
    List<Recorder> rec = new ArrayList<>();
    List<Told> told = play(List.of(pod(0, 100, 3600, 40, 30, 1000), pod(1, 110, 9, 20, 10, 1000)), 4096, 0, rec);
    assertEquals(2, told.size());
    Told shortPod = told.get(0), longPod = told.get(1);
    assertEquals("p1", shortPod.pod());
    assertEquals(110 + 10, shortPod.at(), "a 9 s life ends at the next 2 s sample");
    assertTrue(shortPod.done());
    assertEquals(2, shortPod.pods(), "pods reported include the pod itself");
    assertEquals("p0", longPod.pod());
    assertEquals(100 + SimulationRunner.WINDOW_S, longPod.at());
    assertFalse(longPod.done());
    assertEquals(1, longPod.pods(), "p1 had left by then");
    assertTrue(longPod.qos());
    assertEquals(30 * 0.97, longPod.usage(), 30 * 0.05, "training jitters ±3 %, measurement ±5 %");
    // p1 arrived while p0 ran: its state saw one process and p0's working set.
    assertEquals(1, rec.getFirst().seenAtArrival.get(1).processes());
    assertEquals(1000, rec.getFirst().seenAtArrival.get(1).memoryUsedMib());
  }

  @Test
  void anOomIsSeenAsAProcessThatVanishedAndScoredAsQosMissed() {
    List<SimulationRunner.Outcome> scored = new ArrayList<>();
    List<Told> told = play(List.of(pod(0, 0, 3600, 40, 30, 5000)), 4096, 0, new ArrayList<>(), CoTenants.NONE, scored);
    assertEquals(1, told.size());
    Told t = told.getFirst();
    assertEquals(SimulationRunner.SAMPLE_INTERVAL_S, t.at());
    assertEquals(0.0, t.usage());
    assertFalse(t.qos(), "its process reached its memory grant and vanished");
    assertFalse(t.done(), "the pod still runs (its container restarts): the observer cannot tell it ended");
    assertEquals(1, t.pods());
    SimulationRunner.Outcome o = scored.getFirst();
    assertTrue(o.oom());
    assertFalse(o.qosMet());
    assertEquals(dev.edgeppo.agent.Reward.of(40, 0, false, 1), o.reward(), 1e-12);
  }

  @Test
  void podsDeclaringAServiceLevelAreJudgedAndScoredByIt() {
    // Every pod declares (share 1). Two pods wanting 70 % each share the GPU (each gets 50/70 of its wants:
    // p99 far past 0.5 s); later one pod alone gets all it wants (p99 under). The verdicts come from the
    // rendered histogram through the node's parser and judge, and the truth from the model's exact p99.
    List<SimPod> pods = List.of(pod(0, 0, 3600, 70, 70, 1000), pod(1, 0, 3600, 70, 70, 1000), pod(2, 10_000, 60, 70, 30, 1000));
    List<SimulationRunner.Outcome> out = SimulationRunner.run(pods, pods.size(), CoTenants.NONE, 1.0,
        node -> Baseline.grantRequested(), x -> {});
    assertEquals(3, out.size());
    for (SimulationRunner.Outcome o : out) {
      assertTrue(o.declared());
      assertEquals(o.podIndex() == 2, o.qosMet(), "truth of pod " + o.podIndex());
      assertEquals(o.qosMet(), o.observedQosMet(), "observer on pod " + o.podIndex());
    }
    // Share 0: nobody declares, and the same arrivals give the NVML rules' verdicts.
    for (SimulationRunner.Outcome o : SimulationRunner.run(pods, pods.size(), CoTenants.NONE, 0.0,
        node -> Baseline.grantRequested(), x -> {}))
      assertFalse(o.declared());
  }

  @Test
  void aPodStarvedByItsNeighboursIsScoredAndSeenAsMissed() {
    // Two pods each granted and wanting 70 %: together 140 %, so each receives 50/70 of its demand. Neither
    // sits at its cap (rule 3 is silent), but the GPU's processes sum to 100 % while each works: rule 4
    // (starved by its neighbours) judges both unserved, as the ground truth does.
    List<SimulationRunner.Outcome> scored = new ArrayList<>();
    List<Told> told = play(List.of(pod(0, 0, 3600, 70, 70, 1000), pod(1, 0, 3600, 70, 70, 1000)), 4096, 0, new ArrayList<>(),
        CoTenants.NONE, scored);
    assertEquals(2, told.size());
    for (Told t : told) {
      assertFalse(t.qos(), "starved on a full GPU: " + t);
      assertEquals(2, t.pods());
      assertEquals(50, t.usage(), 50 * 0.06, "each receives half the GPU");
    }
    for (SimulationRunner.Outcome o : scored) {
      assertFalse(o.qosMet(), "it received under 90 % of its demand");
      assertFalse(o.observedQosMet(), "the observer agrees");
      assertEquals(dev.edgeppo.agent.Reward.of(70, o.actualUsage(), false, 2), o.reward(), 1e-12);
    }
  }

  @Test
  void coTenantsCountAsPodsOnTheGpuForTheObserver() {
    CoTenants co = CoTenants.of(5);
    List<SimulationRunner.Outcome> scored = new ArrayList<>();
    List<Told> told = play(List.of(pod(0, 10, 30, 20, 10, 1000)), 4096, 0, new ArrayList<>(), co, scored);
    assertEquals(1 + co.count(10), told.getFirst().pods(), "itself and the co-tenants at its last reading");
    assertEquals(scored.getFirst().pods(), told.getFirst().pods(), "observer and ground truth count the same pods");
  }

  @Test
  void aGrantBelowDemandMissesQosAndIsUsedInFull() {
    List<Recorder> rec = new ArrayList<>();
    List<Told> told = play(List.of(pod(0, 0, 3600, 40, 30, 1000)), 4096, 25, rec);
    assertFalse(told.getFirst().qos(), "held at its grant: the observer sees it throttled");
    assertEquals(25, told.getFirst().usage(), 25 * 0.05, "uses all of the 25 it got");
  }
}
