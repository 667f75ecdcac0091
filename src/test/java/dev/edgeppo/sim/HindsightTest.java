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
 * The hindsight reference against independent references: the simulator itself (its re-scoring of other
 * grants equals a replay, pod by pod; its result replayed scores what it says), every policy it starts
 * from (it is never below one of them, each scored by its own run), the proven bound (it is never above
 * it), and an exhaustive search over every pair of grants in a hand-made case where granting every ask
 * leaves both pods unserved.
 */
class HindsightTest {
  static final double SLO_SHARE = 0.3;

  static double mean(List<SimulationRunner.Outcome> out) {
    return out.stream().mapToDouble(SimulationRunner.Outcome::reward).average().orElseThrow();
  }

  static AllocationPolicy.Grant[] grants(List<SimPod> pods, int[] cores, long[] memory) {
    AllocationPolicy.Grant[] g = new AllocationPolicy.Grant[pods.size()];
    for (int i = 0; i < g.length; i++) g[i] = new AllocationPolicy.Grant(cores[i], memory[i], null);
    return g;
  }

  @Test
  void neverBelowAPolicyItStartsFromNorAboveTheBound() {
    for (UsageModel m : List.of(UsageModel.COTENANTS, UsageModel.BURSTY, UsageModel.CLASSES, UsageModel.BIG_FULL)) {
      List<SimPod> pods = m.apply(ArrivalProcess.synthetic(200, 13, 4.0), 13);
      CoTenants co = m.coTenants(13);
      PpoLearner learner = PpoLearner.fresh(Hyperparameters.serving(), new CpuBackend(), 13);
      Map<String, Function<SimNode, AllocationPolicy>> policies = new LinkedHashMap<>();
      policies.put("grant_requested", n -> Baseline.grantRequested());
      policies.put("demand_aware", n -> Baseline.demandAware());
      policies.put("fixed_fraction", n -> Baseline.fixedFraction(0.3));
      policies.put("ppo", n -> PpoPolicy.training(learner, n, 13));
      policies.put("wild", n -> HindsightBoundTest.wild(9));
      Map<String, AllocationPolicy.Grant[]> seeds = new LinkedHashMap<>();
      Map<String, Double> scored = new LinkedHashMap<>();
      for (var e : policies.entrySet()) {
        AllocationPolicy.Grant[] g = new AllocationPolicy.Grant[pods.size()];
        scored.put(e.getKey(), mean(SimulationRunner.run(pods, pods.size(), co, SLO_SHARE, Hindsight.recording(e.getValue(), pods, g), x -> {})));
        seeds.put(e.getKey(), g);
      }
      Hindsight.Result h = Hindsight.optimise(pods, co, SLO_SHARE, seeds);
      double replayed = mean(SimulationRunner.run(pods, pods.size(), co, SLO_SHARE, n -> Hindsight.fixed(pods, h.grants()), x -> {}));
      assertEquals(replayed, h.meanReward(), 1e-12, m + ": what it reports is not what its grants score");
      for (var e : scored.entrySet()) {
        assertEquals(e.getValue(), h.seeds().get(e.getKey()), 1e-12, m + "/" + e.getKey() + ": replaying its grants scores otherwise than it did");
        assertTrue(h.meanReward() >= e.getValue() - 1e-12, m + ": hindsight " + h.meanReward() + " below " + e.getKey() + " " + e.getValue());
      }
      double best = scored.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
      assertTrue(h.meanReward() > best + 0.01, m + ": the search found nothing over the best seed " + best + ": " + h.meanReward());
      double bound = HindsightBound.stretch(pods, co, SLO_SHARE);
      assertTrue(h.meanReward() <= bound + 1e-9, m + ": hindsight " + h.meanReward() + " above the proven bound " + bound);
    }
  }

  /** The re-scoring of one changed grant is the simulator's own arithmetic: every pod's reward equals a replay's. */
  @Test
  void reScoringAChangedGrantEqualsAReplay() {
    UsageModel m = UsageModel.COTENANTS;
    List<SimPod> pods = m.apply(ArrivalProcess.synthetic(150, 17, 4.0), 17);
    CoTenants co = m.coTenants(17);
    AllocationPolicy.Grant[] g = new AllocationPolicy.Grant[pods.size()];
    SimulationRunner.run(pods, pods.size(), co, SLO_SHARE, Hindsight.recording(n -> HindsightBoundTest.wild(3), pods, g), x -> {});
    Hindsight.Model model = Hindsight.Model.play(pods, co, SLO_SHARE, g.clone());
    SplittableRandom r = new SplittableRandom(5);
    int[] cores = new int[pods.size()];
    long[] memory = new long[pods.size()];
    for (int i = 0; i < pods.size(); i++) {
      cores[i] = 1 + r.nextInt(pods.get(i).requestCores());
      memory[i] = g[i].memoryMb();
      model.cores[i] = cores[i];
    }
    List<SimulationRunner.Outcome> replay = SimulationRunner.run(pods, pods.size(), co, SLO_SHARE, n -> Hindsight.fixed(pods, grants(pods, cores, memory)), x -> {});
    int differentQos = 0;
    for (SimulationRunner.Outcome o : replay) {
      int k = o.podIndex() - pods.getFirst().index();
      assertEquals(o.reward(), model.rewardOf(k, -1), 1e-12, "pod " + k);
      if (o.qosMet() != (model.reward[k] > 0.2)) differentQos++;
    }
    assertTrue(differentQos > 10, "the new grants must change how pods fare for the check to mean anything: " + differentQos);
  }

  /**
   * Two training pods alone on the GPU, wanting about 70 % and 45 % and asking for all of it: granted every
   * ask they want 115 %, each receives 87 % of its want and neither is served. Every pair of grants, played
   * by the simulator, gives the best answer; the search must find one as good.
   */
  @Test
  void findsTheBestPairOfGrantsWhereGrantingEveryAskServesNobody() {
    SimPod a = new SimPod(0, "a", WorkloadClass.TRAINING, 0, 60, 100, 8192, 6000, 70, 0, 0, 0, 0, 21);
    SimPod b = new SimPod(1, "b", WorkloadClass.TRAINING, 0, 60, 100, 8192, 6000, 45, 0, 0, 0, 0, 22);
    List<SimPod> pods = List.of(a, b);
    long[] memory = {8192, 8192};
    double bestPair = Double.NEGATIVE_INFINITY;
    for (int ga = 1; ga <= 100; ga++)
      for (int gb = 1; gb <= 100; gb++) {
        AllocationPolicy.Grant[] pair = grants(pods, new int[] {ga, gb}, memory);
        double v = mean(SimulationRunner.run(pods, 2, CoTenants.NONE, 0, n -> Hindsight.fixed(pods, pair), x -> {}));
        bestPair = Math.max(bestPair, v);
      }
    List<SimulationRunner.Outcome> asked = SimulationRunner.run(pods, 2, CoTenants.NONE, 0, n -> Baseline.grantRequested(), x -> {});
    assertTrue(asked.stream().noneMatch(SimulationRunner.Outcome::qosMet), "granting every ask must leave both unserved: " + asked);
    Hindsight.Result h = Hindsight.optimise(pods, CoTenants.NONE, 0, Map.of("grant_requested", grants(pods, new int[] {100, 100}, memory)));
    assertTrue(bestPair > mean(asked) + 0.5, "the case must have a much better answer: " + bestPair + " against " + mean(asked));
    assertEquals(bestPair, h.meanReward(), 1e-9, "hindsight " + h.meanReward() + " against the best of every pair " + bestPair);
  }
}
