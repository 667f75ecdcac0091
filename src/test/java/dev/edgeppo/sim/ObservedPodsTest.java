package dev.edgeppo.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.observe.Ending;
import dev.edgeppo.observe.FedNode;
import dev.edgeppo.observe.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The simulator's pods judged by the node's observer: readings in, SPEC §5's verdict out. */
class ObservedPodsTest {
  @Test
  void aPodJudgedAtItsWindowsEndFromItsMeasuredUse() {
    SimNode node = new SimNode();
    ObservedPods obs = new ObservedPods(node, t -> List.of());
    SimPod p = SimNodeTest.pod(0, WorkloadClass.INFERENCE, 60, 20, 2000, 1000);
    SimNode.Running r = node.start(p, 60, 2000);
    ObservedPods.Watch w = obs.watch(0, 60, 2000, 80, 8);
    double sum = 0;
    Verdict v = null;
    for (long t = 2; t <= 10; t += 2) {
      sum += node.sample(r, t).measuredUsage();
      v = obs.tick(w, t, null);
      if (t < 10) assertNull(v, "window still open at " + t);
    }
    assertEquals(sum / 5, v.actualUsage(), 1e-9, "the mean of what the node measured");
    assertEquals(Ending.WINDOW_CLOSED, v.ending());
    assertTrue(v.qosMet());
    assertEquals(1, v.pods());
    assertEquals(1000, v.peakMemoryMib());
  }

  @Test
  void aPodKilledForMemoryShowsOnceAtItsLimitAndEnds() {
    SimNode node = new SimNode();
    ObservedPods obs = new ObservedPods(node, t -> List.of(new FedNode.Proc(1_000_000, ObservedPods.uid(99), 500, 30)));
    ObservedPods.Watch w = obs.watch(3, 40, 700, 80, 60);
    assertNull(obs.tick(w, 2, new FedNode.Proc(4, ObservedPods.uid(3), 700, 0)));
    obs.ended(3);
    Verdict v = obs.tick(w, 2, null);
    assertEquals(0.0, v.actualUsage());
    assertFalse(v.qosMet(), "its memory reached the grant");
    assertTrue(v.done());
    assertEquals(2, v.pods(), "itself and the co-tenant");
  }
}
