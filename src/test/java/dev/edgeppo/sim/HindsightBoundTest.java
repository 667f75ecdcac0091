package dev.edgeppo.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The bounds are bounds: no policy, however it grants (cores and memory), scores any pod above its own
 * bound, nor a stretch's mean above the stretch's bound (which knows the GPU's capacity and memory), on a
 * crowded node with co-tenants, OOM kills and contention; and the per-pod bound is exact where nothing is
 * outside the grant's control: a lone pod, where the simulator itself, tried at every grant, reaches it.
 */
class HindsightBoundTest {
  /** As in the suite: some pods declare a p99 objective, and their QoS is that objective's truth. */
  static final double SLO_SHARE = 0.3;

  /** Grants a random share of the ask and, now and then, memory below the working set (an OOM kill). */
  static AllocationPolicy wild(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    return new AllocationPolicy() {
      @Override public String name() { return "wild"; }

      @Override
      public Grant allocate(SimPod pod, dev.edgeppo.telemetry.Telemetry node, boolean evaluation) {
        long mem = r.nextDouble() < 0.2 ? Math.max(1, pod.workingSetMb() - 1) : pod.requestMemoryMb();
        return new Grant(1 + r.nextInt(pod.requestCores()), mem, null);
      }

      @Override
      public double feedback(Grant g, double usage, boolean qos, int pods, boolean done) { return 0; }
    };
  }

  @Test
  void noPolicyScoresAPodAboveItsBound() {
    int checked = 0, ooms = 0, contended = 0, declaredServed = 0;
    for (UsageModel m : List.of(UsageModel.COTENANTS, UsageModel.BURSTY, UsageModel.CLASSES, UsageModel.BIG_FULL)) {
      // Four pods on the node on average: contention and memory pressure are common.
      List<SimPod> pods = m.apply(ArrivalProcess.synthetic(300, 11, 4.0), 11);
      CoTenants co = m.coTenants(11);
      PpoLearner learner = PpoLearner.fresh(Hyperparameters.serving(), new CpuBackend(), 11);
      Map<String, Function<SimNode, AllocationPolicy>> policies = new LinkedHashMap<>();
      policies.put("grant_requested", n -> Baseline.grantRequested());
      policies.put("fixed_fraction", n -> Baseline.fixedFraction(0.3));
      policies.put("demand_aware", n -> Baseline.demandAware());
      policies.put("random", n -> Baseline.random(3, Hyperparameters.serving().actionMapping()));
      policies.put("ppo", n -> PpoPolicy.training(learner, n, 11));
      policies.put("wild", n -> wild(5));
      double stretch = HindsightBound.stretch(pods, co, SLO_SHARE), perPod = pods.stream().mapToDouble(p -> HindsightBound.of(p, co, SLO_SHARE)).average().orElseThrow();
      assertTrue(stretch <= perPod + 1e-9, m + ": the stretch's bound " + stretch + " above the mean of the pods' own " + perPod);
      for (var e : policies.entrySet()) {
        List<SimulationRunner.Outcome> outcomes = SimulationRunner.run(pods, pods.size(), co, SLO_SHARE, e.getValue(), x -> {});
        double mean = outcomes.stream().mapToDouble(SimulationRunner.Outcome::reward).average().orElseThrow();
        assertTrue(mean <= stretch + 1e-9, m + "/" + e.getKey() + ": mean " + mean + " above the stretch's bound " + stretch);
        for (SimulationRunner.Outcome o : outcomes) {
          double bound = HindsightBound.of(pods.get(o.podIndex()), co, SLO_SHARE);
          assertTrue(o.reward() <= bound + 1e-9, m + "/" + e.getKey() + ": pod " + o.podIndex() + " scored " + o.reward() + " above its bound " + bound);
          checked++;
          if (o.oom()) ooms++;
          if (o.pods() > 3) contended++;
          if (o.declared() && o.qosMet()) declaredServed++;
        }
      }
    }
    assertEquals(4 * 6 * 300, checked);
    assertTrue(declaredServed > 100, "pods declaring a service level (judged by their p99) must be among those checked: " + declaredServed);
    assertTrue(ooms > 50 && contended > 500, "the node must be crowded for the check to mean anything: " + ooms + " OOMs, " + contended + " crowded");
  }

  @Test
  void aLonePodReachesItsBoundAtTheBestGrant() {
    for (UsageModel m : List.of(UsageModel.BURSTY, UsageModel.UNIFORM_OVERSTATE, UsageModel.CLASSES)) {
      for (SimPod p : m.apply(ArrivalProcess.synthetic(12, 7, 2.0), 7)) {
        SimPod alone = p.shifted(0, 0, p.noiseSeed());
        double best = Double.NEGATIVE_INFINITY;
        for (int g = 1; g <= alone.requestCores(); g++) {
          int grant = g;
          AllocationPolicy fixed = new AllocationPolicy() {
            @Override public String name() { return "fixed"; }
            @Override public Grant allocate(SimPod pod, dev.edgeppo.telemetry.Telemetry node, boolean ev) { return new Grant(grant, pod.requestMemoryMb(), null); }
            @Override public double feedback(Grant x, double u, boolean q, int n, boolean d) { return 0; }
          };
          best = Math.max(best, SimulationRunner.run(List.of(alone), 1, n -> fixed, x -> {}).getFirst().reward());
        }
        assertEquals(best, HindsightBound.of(alone, CoTenants.NONE), 1e-9, m + ": " + alone);
      }
    }
  }

  /** Beside co-tenants, which no policy can remove, a lone pod's bound is what the simulator gives it at its best grant. */
  @Test
  void aLonePodBesideCoTenantsReachesItsBoundAtTheBestGrant() {
    CoTenants co = CoTenants.of(7);
    int below = 0;
    int slot = 0;
    for (SimPod p : UsageModel.BIG_FULL.apply(ArrivalProcess.synthetic(12, 7, 2.0), 7)) {
      // Each in another of the co-tenants' slots: how many there are and what they want changes.
      SimPod alone = p.shifted(0, slot++ * CoTenants.SLOT_S, p.noiseSeed());
      double best = Double.NEGATIVE_INFINITY;
      for (int g = 1; g <= alone.requestCores(); g++) {
        AllocationPolicy.Grant grant = new AllocationPolicy.Grant(g, alone.requestMemoryMb(), null);
        best = Math.max(best, SimulationRunner.run(List.of(alone), 1, co, n -> Hindsight.fixed(List.of(alone), new AllocationPolicy.Grant[] {grant}), x -> {}).getFirst().reward());
      }
      assertEquals(best, HindsightBound.of(alone, co), 1e-9, alone.toString());
      if (HindsightBound.of(alone, co) < HindsightBound.of(alone, CoTenants.NONE) - 1e-9) below++;
    }
    assertTrue(below > 0, "co-tenants must cost some pod something for the check to mean anything");
  }
}
