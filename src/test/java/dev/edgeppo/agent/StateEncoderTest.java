package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgeppo.telemetry.GpuSnapshot;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StateEncoderTest {
  @Test
  void rejectsBadLimits() {
    assertThrows(IllegalArgumentException.class, () -> new StateEncoder(100L, 10));
    assertThrows(IllegalArgumentException.class, () -> new StateEncoder(null, 0));
  }

  @Test
  void seedExample() {
    // Request 80 % and 4000 MB, GPU 45 %, memory 30 %, 2 pods -> [0.80, 0.12, 0.45, 0.30, 0.20].
    float[] s = new StateEncoder(32768L, 10).encode(80, 4000, FixedTelemetry.gpu(0, 45, 10000, 3000, 2));
    assertArrayEquals(new float[] {0.80f, 0.12f, 0.45f, 0.30f, 0.20f}, s, 0.005f);
    assertEquals(4000 / 32768.0, s[1], 1e-6);
  }

  @Test
  void maxMemoryIsTheDeviceTotalUnlessSet() {
    GpuSnapshot g = FixedTelemetry.gpu(0, 0, 16000, 0, 0);
    assertEquals(16000, new StateEncoder(null, 10).maxMemoryMb(g));
    assertEquals(0.25f, new StateEncoder(null, 10).encode(10, 4000, g)[1], 1e-6);
    assertEquals(32768, new StateEncoder(32768L, 10).maxMemoryMb(g));
    GpuSnapshot unknown = new GpuSnapshot(0, "u", "n", null, null, null, null, null, null, null, Map.of());
    assertEquals(StateEncoder.DEFAULT_MAX_MEMORY_MB, new StateEncoder(null, 10).maxMemoryMb(unknown));
  }

  @Test
  void unknownReadingsAreZeroAndEverythingIsClamped() {
    GpuSnapshot unknown = new GpuSnapshot(0, "u", "n", null, null, null, null, null, null, null, Map.of());
    assertArrayEquals(new float[] {1f, 1f, 0f, 0f, 0f}, new StateEncoder(null, 10).encode(100, 1_000_000, unknown));
    assertEquals(1f, new StateEncoder(null, 10).encode(1, 1, FixedTelemetry.gpu(0, 50, 1000, 10, 25))[4]);
  }
}
