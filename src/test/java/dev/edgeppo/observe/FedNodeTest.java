package dev.edgeppo.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The node the simulator feeds: it answers as NVML and /proc would. */
class FedNodeTest {
  static final String A = "aaaaaaaa-0000-4000-8000-000000000001";

  @Test
  void showsWhatItIsToldAsNvmlWould() {
    FedNode n = new FedNode();
    n.show(0, List.of(new FedNode.Proc(1, A, 500, 30), new FedNode.Proc(2, A.toUpperCase(), 200, 0)));
    GpuProcesses r = n.read(0);
    assertEquals(Map.of(1, 500L, 2, 200L), r.memoryMib());
    assertEquals(Map.of(1, 30.0), r.smPercent(), "an idle process has no sample");
    assertEquals(A, n.podOf(2));
    assertEquals(Map.of(), n.read(1).memoryMib());
    n.show(0, List.of());
    assertNull(n.podOf(1), "a process gone from the GPU is forgotten");
    assertFalse(n.podAlive(A));
    n.alive(A, true);
    assertTrue(n.podAlive(A));
    n.alive(A, false);
    assertFalse(n.podAlive(A));
  }
}
