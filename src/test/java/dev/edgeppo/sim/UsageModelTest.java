package dev.edgeppo.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.telemetry.GpuSnapshot;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each scenario's hidden usage is what its description says, on both arrival shapes; asks are never changed. */
class UsageModelTest {
  static final List<SimPod> SYNTH = ArrivalProcess.synthetic(2000, 4, 2.0);
  static final List<SimPod> TRACE = TraceReplay.excerpt().pods(2000, 4, 2.0);

  /** Base demand as a share of the cores asked. */
  static double share(SimPod p) { return p.baseDemand() / p.requestCores(); }

  @Test
  void asksAndTimesAreTheArrivalsOwn() {
    for (UsageModel m : UsageModel.values())
      for (List<SimPod> pods : List.of(SYNTH, TRACE)) {
        List<SimPod> out = m.apply(pods, 9);
        assertEquals(pods.size(), out.size());
        for (int i = 0; i < pods.size(); i++) {
          SimPod a = pods.get(i), b = out.get(i);
          assertEquals(a.requestCores(), b.requestCores());
          assertEquals(a.requestMemoryMb(), b.requestMemoryMb());
          assertEquals(a.arrivalS(), b.arrivalS());
          assertEquals(a.lifetimeS(), b.lifetimeS());
        }
        assertEquals(out, m.apply(pods, 9), m + ": a pure function of the seed");
      }
  }

  @Test
  void demandsFollowTheDescriptions() {
    for (List<SimPod> pods : List.of(SYNTH, TRACE)) {
      for (SimPod p : UsageModel.SMALL_OVERSTATE.apply(pods, 1))
        if (p.requestCores() <= UsageModel.SMALL_ASK) assertTrue(share(p) >= 1 / 3.0 - 1e-9 && share(p) <= 0.5 + 1e-9, p.toString());
        else assertTrue(share(p) >= 0.7 - 1e-9 && share(p) <= 0.9 + 1e-9);
      for (SimPod p : UsageModel.BIG_FULL.apply(pods, 1))
        if (p.requestCores() > UsageModel.SMALL_ASK) assertTrue(share(p) >= 0.9 - 1e-9);
      for (SimPod p : UsageModel.UNIFORM_OVERSTATE.apply(pods, 1)) assertTrue(share(p) >= 0.4 - 1e-9 && share(p) <= 0.7 + 1e-9);
      for (SimPod p : UsageModel.BURSTY.apply(pods, 1)) {
        assertEquals(WorkloadClass.BURSTY, p.workload());
        assertTrue(p.burstDemand() >= 0.8 * p.requestCores() - 1e-9 && share(p) <= 0.3 + 1e-9);
      }
      for (SimPod p : UsageModel.MEMORY_OVERASK.apply(pods, 1))
        assertTrue(p.workingSetMb() <= 0.3 * p.requestMemoryMb() + 1, p.toString());
    }
  }

  /** The shift: small asks overstate in the first half and use nearly all in the second. */
  @Test
  void theShiftChangesTheModelHalfway() {
    List<SimPod> out = UsageModel.SHIFT.apply(SYNTH, 2);
    for (SimPod p : out) {
      if (p.requestCores() > UsageModel.SMALL_ASK) continue;
      if (p.index() < SYNTH.size() / 2) assertTrue(share(p) <= 0.5 + 1e-9);
      else assertTrue(share(p) >= 0.9 - 1e-9);
    }
  }

  /** Co-tenants load the GPU, hold memory and count as pods in telemetry and in the pods of a feedback. */
  @Test
  void coTenantsShowInTelemetryAndContention() {
    CoTenants co = UsageModel.COTENANTS.coTenants(5);
    assertEquals(CoTenants.NONE, UsageModel.CLASSES.coTenants(5));
    SimNode node = new SimNode(co);
    boolean sawEach[] = new boolean[CoTenants.MAX + 1];
    for (long t = 0; t < 200 * CoTenants.SLOT_S; t += CoTenants.SLOT_S) {
      node.advanceTo(t);
      int n = co.count(t);
      assertTrue(n >= 1 && n <= CoTenants.MAX);
      sawEach[n] = true;
      GpuSnapshot g = node.read().getFirst();
      assertEquals(n, g.processes().intValue());
      assertEquals(n, node.podsOnGpu());
      assertEquals(co.memoryMb(t), g.memoryUsedMib().longValue());
      assertEquals(Math.min(100, co.demand(t)), g.utilizationGpu(), 1e-9);
    }
    for (int n = 1; n <= CoTenants.MAX; n++) assertTrue(sawEach[n], "every count from 1 to 3 occurs: " + n);
    assertNotEquals(co.count(0), -1);
    assertThrows(IllegalArgumentException.class, () -> UsageModel.of("cloudy"));
  }
}
