package dev.edgeppo.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SimTelemetryTest {
  @Test
  void readingsStayInRangeAndMoveWithTime() {
    Set<Double> utils = new HashSet<>();
    for (long s = 0; s < 3600; s += 7) {
      long t = s * 1000;
      GpuSnapshot g = new SimTelemetry(() -> Instant.ofEpochMilli(t), 3).read().getFirst();
      assertEquals(SimTelemetry.TOTAL_MIB, g.memoryTotalMib());
      assertTrue(g.utilizationGpu() >= 0 && g.utilizationGpu() <= 100, g.toString());
      assertTrue(g.memoryUsedMib() >= 0 && g.memoryUsedMib() <= SimTelemetry.TOTAL_MIB, g.toString());
      assertTrue(g.processes() >= 0 && g.processes() <= 10, g.toString());
      utils.add(g.utilizationGpu());
    }
    assertTrue(utils.size() > 100, "readings should move with time, saw " + utils.size() + " distinct");
  }

  @Test
  void sameClockSameReading() {
    GpuSnapshot a = new SimTelemetry(() -> Instant.ofEpochMilli(123_456), 3).read().getFirst();
    GpuSnapshot b = new SimTelemetry(() -> Instant.ofEpochMilli(123_456), 3).read().getFirst();
    GpuSnapshot c = new SimTelemetry(() -> Instant.ofEpochMilli(123_456), 4).read().getFirst();
    assertEquals(a, b);
    assertNotEquals(a.utilizationGpu(), c.utilizationGpu());
    // the seed moves only the jitter (±5 points of utilisation, ±2 % of memory) around the same drift
    assertTrue(Math.abs(a.utilizationGpu() - c.utilizationGpu()) <= 10, a + " vs " + c);
    assertTrue(Math.abs(a.memoryUsedMib() - c.memoryUsedMib()) <= 0.04 * SimTelemetry.TOTAL_MIB + 1, a + " vs " + c);
  }
}
