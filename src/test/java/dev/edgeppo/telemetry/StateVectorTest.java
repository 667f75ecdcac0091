package dev.edgeppo.telemetry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class StateVectorTest {
  @Test
  void seedExample() {
    // SPEC §1: request 80 % and 4000 MB, GPU 45 %, memory 30 %, 2 pods -> [0.80, 0.12, 0.45, 0.30, 0.20]
    GpuSnapshot g = new GpuSnapshot(0, "u", "n", 45.0, 10.0, 10000L, 3000L, 2, null, null, null);
    float[] s = StateVector.of(80, 4000, g, 32768, 10);
    assertArrayEquals(new float[] {0.80f, 0.12f, 0.45f, 0.30f, 0.20f}, s, 0.0025f);
    assertArrayEquals(new float[] {0.80f, 4000f / 32768, 0.45f, 0.30f, 0.20f}, s, 1e-6f);
  }

  @Test
  void clampedAndUnknownReadingsAreZero() {
    GpuSnapshot busy = new GpuSnapshot(0, "u", "n", 100.0, 0.0, 100L, 100L, 25, null, null, null);
    assertArrayEquals(new float[] {1f, 1f, 1f, 1f, 1f}, StateVector.of(150, 99999, busy, 32768, 10), 0f);
    GpuSnapshot silent = new GpuSnapshot(0, "u", "n", null, null, null, null, null, null, null, null);
    assertArrayEquals(new float[] {0.1f, 0.5f, 0f, 0f, 0f}, StateVector.of(10, 16384, silent, 32768, 10), 1e-6f);
  }

  @Test
  void badLimitsAreRefused() {
    GpuSnapshot g = new GpuSnapshot(0, "u", "n", 0.0, 0.0, 1L, 0L, 0, null, null, null);
    assertThrows(IllegalArgumentException.class, () -> StateVector.of(10, 10, g, 0, 10));
    assertThrows(IllegalArgumentException.class, () -> StateVector.of(10, 10, g, 10, 0));
    assertThrows(IllegalArgumentException.class, () -> StateVector.of(10, 10, null, 10, 10));
  }
}
