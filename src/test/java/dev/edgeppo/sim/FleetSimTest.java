package dev.edgeppo.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.json.Json;
import dev.edgeppo.ppo.Hyperparameters;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code simulate --nodes}: bad settings are refused before anything runs, and a seed fixes the whole run despite the threads. */
class FleetSimTest {
  static FleetSim.Config config(int nodes, int bad) {
    return new FleetSim.Config(UsageModel.UNIFORM_OVERSTATE, List.of("trace", "synthetic"), List.of(1L), nodes, bad, List.of(64, 96), 40, 32, 8,
        Hyperparameters.serving(), "cpu", 2, TraceReplay.excerpt());
  }

  @Test
  void refusesWhatCannotRun() {
    assertThrows(IllegalArgumentException.class, () -> config(0, 0));
    assertThrows(IllegalArgumentException.class, () -> config(3, 3), "at least one good node");
    assertThrows(IllegalArgumentException.class, () -> config(3, -1));
    assertThrows(IllegalArgumentException.class, () -> new FleetSim.Config(UsageModel.CLASSES, List.of("csv"), List.of(1L), 2, 0, List.of(64), 40, 32, 8,
        Hyperparameters.serving(), "cpu", 2, TraceReplay.excerpt()));
  }

  @Test
  void aSeedFixesTheRunAndTheFleetTalks() throws Exception {
    FleetSim.Result a = FleetSim.run(config(3, 1)), b = FleetSim.run(config(3, 1));
    assertEquals(Json.MAPPER.writeValueAsString(FleetSim.toJson(a, Json.MAPPER)), Json.MAPPER.writeValueAsString(FleetSim.toJson(b, Json.MAPPER)));
    // Three rounds of three nodes (after 32, 64 and 96 feedbacks each): every node wrote and merged each round.
    assertEquals(9, a.writes());
    assertEquals(9, a.merges());
    assertTrue(a.bytesWritten() / a.writes() > 90_000 && a.bytesWritten() / a.writes() < 256 * 1024, a.bytesWritten() / a.writes() + " bytes a write");
    assertTrue(a.nodes().get(2).bad() && !a.nodes().get(1).bad());
    // Experience: each round every node reads its two peers' 32 new experiences once, and trains on them unless refused.
    assertEquals(3 * 3 * 2 * 32, a.experiencesUsed() + a.experiencesRejected(), "every peer experience read once");
    assertTrue(a.experiencesUsed() > 0);
  }

  /**
   * Issue 20 in small: four nodes that share their experiences, in rounds of 4 feedbacks (simulate's default),
   * are well ahead of the same nodes alone after 192 feedbacks each (measured +0.143 against +0.026; the bound
   * leaves room for changes in how a node learns), and no node of the fleet is below grant_requested.
   */
  @Test
  void nodesSharingExperienceLearnFasterThanAlone() throws Exception {
    FleetSim.Config c = new FleetSim.Config(UsageModel.UNIFORM_OVERSTATE, List.of("trace", "synthetic"), List.of(1L), 4, 0, List.of(96, 192), 300,
        4, 8, Hyperparameters.serving(), "cpu", 2, TraceReplay.excerpt());
    FleetSim.Result r = FleetSim.run(c);
    double alone = r.nodes().stream().mapToDouble(n -> n.alone().get(192)).average().orElseThrow();
    double fleet = r.nodes().stream().mapToDouble(n -> n.fleet().get(192)).average().orElseThrow();
    assertTrue(fleet > alone + 0.05, "fleet " + fleet + " against alone " + alone);
    for (FleetSim.NodeResult n : r.nodes())
      for (double m : n.fleet().values()) assertTrue(m >= -FleetSim.TIE, "node " + n.node() + " below grant_requested: " + n.fleet());
    assertTrue(r.experiencesUsed() > 4 * 3 * 150, "each node trained on most of its three peers' 192: " + r.experiencesUsed());
  }

  @Test
  void sharingParametersOnlyTrainsOnNoPeerExperience() throws Exception {
    FleetSim.Config p = config(3, 0);
    FleetSim.Result r = FleetSim.run(new FleetSim.Config(p.scenario(), p.arrivals(), p.seeds(), p.nodes(), p.badNodes(), p.checkpoints(),
        p.evalFeedbacks(), p.syncEvery(), p.step(), p.hp(), p.backend(), p.concurrency(), p.trace(),
        dev.edgeppo.fleet.FleetMember.Sharing.PARAMETERS, FleetSim.BadKind.RANDOM));
    assertEquals(0, r.experiencesUsed());
    assertEquals(9, r.merges());
    assertTrue(r.bytesWritten() / r.writes() < 100_000, "no experiences in the objects: " + r.bytesWritten() / r.writes());
  }
}
