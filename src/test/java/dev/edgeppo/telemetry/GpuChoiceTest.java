package dev.edgeppo.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class GpuChoiceTest {
  private static GpuSnapshot gpu(int index, Integer processes, Long usedMib, Double util) {
    return new GpuSnapshot(index, "GPU-" + index, "g" + index, util, 0.0, 1000L, usedMib, processes, null, null, null);
  }

  @Test
  void noGpusOrUnknownNamesAreErrors() {
    assertThrows(IllegalArgumentException.class, () -> GpuChoice.choose(List.of(), null));
    assertThrows(IllegalArgumentException.class, () -> GpuChoice.choose(null, "0"));
    List<GpuSnapshot> gpus = List.of(gpu(0, 0, 0L, 0.0));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> GpuChoice.choose(gpus, "3")).getMessage()
        .contains("index 3"));
    assertThrows(IllegalArgumentException.class, () -> GpuChoice.choose(gpus, "99999999999999"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> GpuChoice.choose(gpus, "GPU-x")).getMessage()
        .contains("uuid GPU-x"));
  }

  @Test
  void byIndexOrUuid() {
    List<GpuSnapshot> gpus = List.of(gpu(0, 5, 900L, 99.0), gpu(1, 0, 0L, 0.0));
    assertEquals(0, GpuChoice.choose(gpus, "0").index());
    assertEquals(0, GpuChoice.choose(gpus, " gpu-0 ").index());
  }

  @Test
  void leastContendedWinsThenLowestIndex() {
    assertEquals(1, GpuChoice.choose(List.of(gpu(0, 3, 0L, 0.0), gpu(1, 1, 900L, 90.0)), null).index());
    assertEquals(1, GpuChoice.choose(List.of(gpu(0, 1, 500L, 0.0), gpu(1, 1, 100L, 90.0)), "").index());
    assertEquals(0, GpuChoice.choose(List.of(gpu(0, 1, 100L, 10.0), gpu(1, 1, 100L, 20.0)), null).index());
    assertEquals(0, GpuChoice.choose(List.of(gpu(0, 1, 100L, 10.0), gpu(1, 1, 100L, 10.0)), null).index());
    // A GPU that reports nothing does not win by silence.
    assertEquals(1, GpuChoice.choose(List.of(gpu(0, null, null, null), gpu(1, 4, 900L, 90.0)), null).index());
  }
}
