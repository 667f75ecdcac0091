package dev.edgeppo.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.telemetry.GpuSnapshot;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The node model's invariants: what a pod uses, when it is OOM-killed, what telemetry shows. */
class SimNodeTest {
  /** A pod with a fixed demand (no burst), a working set and a long life. */
  static SimPod pod(int index, WorkloadClass c, int cores, double demand, long memory, long workingSet) {
    return new SimPod(index, "p" + index, c, 0, 10_000, cores, memory, workingSet, demand, 0, 0, 0, 0, 1234L + index);
  }

  @Test
  void usageIsTheSmallerOfDemandAndGrantWithinTheNoiseBound() {
    SimNode node = new SimNode();
    SimPod p = pod(0, WorkloadClass.INFERENCE, 60, 30, 2048, 1024);
    SimNode.Running low = node.start(p, 20, 2048);
    for (long t = 0; t < 500; t += 2) {
      double demand = p.demand(t);
      double expected = Math.min(demand, 20);
      double used = node.sample(low, t).measuredUsage();
      assertTrue(Math.abs(used - expected) <= SimNode.MEASUREMENT_NOISE * expected + 1e-9, "t=" + t + " used " + used + " vs " + expected);
      assertFalse(node.sample(low, t).covered(), "a grant of 20 cannot cover a demand of ~30");
    }
    node.stop(low);
    SimNode.Running high = node.start(p, 60, 2048);
    for (long t = 0; t < 500; t += 2) {
      double demand = p.demand(t);
      assertTrue(demand >= 30 * 0.9 - 1e-9 && demand <= 30 * 1.1 + 1e-9, "inference jitters ±10 %: " + demand);
      SimNode.Sample s = node.sample(high, t);
      assertEquals(demand, s.received(), 1e-12);
      assertTrue(s.covered());
    }
  }

  @Test
  void aMemoryGrantBelowTheWorkingSetIsAnOom() {
    SimNode node = new SimNode();
    SimPod p = pod(0, WorkloadClass.TRAINING, 50, 45, 8192, 6000);
    assertNull(node.start(p, 50, 5999));
    assertEquals(0, node.running().size());
    assertNotNull(node.start(p, 50, 6000));
  }

  @Test
  void aWorkingSetThatDoesNotFitWhatOthersLeaveIsAnOom() {
    SimNode node = new SimNode();
    assertNotNull(node.start(pod(0, WorkloadClass.TRAINING, 50, 45, 20000, 20000), 50, 20000));
    assertNull(node.start(pod(1, WorkloadClass.TRAINING, 50, 45, 16000, SimNode.TOTAL_MIB - 20000 + 1), 50, 16000));
    assertNotNull(node.start(pod(2, WorkloadClass.TRAINING, 50, 45, 16000, SimNode.TOTAL_MIB - 20000), 50, 16000));
  }

  @Test
  void telemetryReflectsWhatRuns() {
    SimNode node = new SimNode();
    GpuSnapshot idle = node.read().getFirst();
    assertEquals(0, idle.processes());
    assertEquals(0, idle.memoryUsedMib());
    assertEquals(0.0, idle.utilizationGpu());
    SimNode.Running a = node.start(pod(0, WorkloadClass.TRAINING, 40, 30, 4096, 3000), 40, 4096);
    SimNode.Running b = node.start(pod(1, WorkloadClass.TRAINING, 40, 20, 2048, 1500), 10, 2048);
    node.advanceTo(100);
    GpuSnapshot busy = node.read().getFirst();
    assertEquals(2, busy.processes());
    assertEquals(4500, busy.memoryUsedMib());
    double expected = node.sample(a, 100).measuredUsage() + node.sample(b, 100).measuredUsage();
    assertEquals(expected, busy.utilizationGpu(), 1e-9);
    // ~30 + 10 (b is held to its grant of 10), within the measurement noise
    assertTrue(Math.abs(busy.utilizationGpu() - (a.pod().demand(100) + 10)) <= 0.05 * 45);
    node.stop(a);
    assertEquals(1, node.read().getFirst().processes());
    assertEquals(1500, node.read().getFirst().memoryUsedMib());
  }

  @Test
  void podsWantingMoreThanTheGpuShareItInProportion() {
    SimNode node = new SimNode();
    SimNode.Running a = node.start(pod(0, WorkloadClass.TRAINING, 100, 90, 1024, 512), 100, 1024);
    SimNode.Running b = node.start(pod(1, WorkloadClass.TRAINING, 100, 60, 1024, 512), 100, 1024);
    long t = 10;
    double da = a.pod().demand(t), db = b.pod().demand(t);
    SimNode.Sample sa = node.sample(a, t), sb = node.sample(b, t);
    assertEquals(100.0, sa.received() + sb.received(), 1e-9);
    assertEquals(da / db, sa.received() / sb.received(), 1e-9);
    assertFalse(sa.covered(), "at ~150 % wanted, ~67 % of its demand is below the 90 % a pod needs");
  }

  @Test
  void burstyPodsSpendTheirDutyShareAtTheBurstLevel() {
    SimPod p = WorkloadClass.BURSTY.draw(0, 0, new SplittableRandom(3));
    int high = 0, n = 20_000;
    for (long t = 0; t < n; t++) if (p.demand(t) > (p.baseDemand() + p.burstDemand()) / 2) high++;
    assertEquals(p.burstDuty(), high / (double) n, 0.02);
  }

  @Test
  void timeOnlyRunsForward() {
    SimNode node = new SimNode();
    node.advanceTo(5);
    assertEquals(5_000, node.clock().millis());
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> node.advanceTo(4));
  }
}
