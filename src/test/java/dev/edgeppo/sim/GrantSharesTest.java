package dev.edgeppo.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The grouping against pods whose groups, peaks and grants are worked out by hand. */
class GrantSharesTest {
  static SimPod pod(int i, int cores, long memoryMb, double base, double burst) {
    return new SimPod(i, "p" + i, WorkloadClass.BURSTY, i, 100, cores, memoryMb, memoryMb / 2, base, burst, burst > 0 ? 30 : 0, burst > 0 ? 0.3 : 0, 0, i);
  }

  @Test
  void groupsByTheAsksTheStateShowsAndAveragesSharesOfTheAsk() {
    List<SimPod> pods = List.of(
        pod(0, 40, 2048, 12, 0),      // small, low memory: peak 30 %
        pod(1, 20, 3968, 5, 18),      // small, low memory (the edge is the range's): peak 90 %
        pod(2, 80, 4096, 20, 76),     // big, mid memory: peak 95 %
        pod(3, 60, 16384, 57, 0));    // big, high memory: peak 95 %
    Map<String, AllocationPolicy.Grant[]> grants = new LinkedHashMap<>();
    grants.put("a", new AllocationPolicy.Grant[] {g(20), g(20), g(40), g(60)});
    grants.put("b", new AllocationPolicy.Grant[] {g(40), g(10), g(80), g(30)});
    GrantShares s = GrantShares.of(pods, grants);
    assertEquals(List.of("big/high_memory", "big/mid_memory", "small/low_memory"), List.copyOf(new java.util.TreeSet<>(s.groups().keySet())));
    GrantShares.Group low = s.groups().get("small/low_memory");
    assertEquals(2, low.pods());
    assertEquals((0.3 + 0.9) / 2, low.peakShare(), 1e-12);
    assertEquals((0.5 + 1.0) / 2, low.grantShare().get("a"), 1e-12);
    assertEquals((1.0 + 0.5) / 2, low.grantShare().get("b"), 1e-12);
    assertEquals(0.5, s.groups().get("big/mid_memory").grantShare().get("a"), 1e-12);
    assertEquals(0.5, s.groups().get("big/high_memory").grantShare().get("b"), 1e-12);
    assertEquals(0.95, s.groups().get("big/high_memory").peakShare(), 1e-12);
  }

  static AllocationPolicy.Grant g(int cores) { return new AllocationPolicy.Grant(cores, 1024, null); }
}
