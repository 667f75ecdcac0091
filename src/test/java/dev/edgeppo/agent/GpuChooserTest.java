package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.telemetry.GpuSnapshot;
import java.util.List;
import org.junit.jupiter.api.Test;

class GpuChooserTest {
  final List<GpuSnapshot> gpus = List.of(FixedTelemetry.gpu(0, 10, 16000, 12000, 1),
      FixedTelemetry.gpu(1, 10, 16000, 2000, 1), FixedTelemetry.gpu(2, 10, 16000, 2000, 1));

  @Test
  void unknownGpuIsBadInputNamingTheGpus() {
    BadInputException e = assertThrows(BadInputException.class, () -> GpuChooser.choose(gpus, "7"));
    assertTrue(e.getMessage().contains("GPU-test-2"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> GpuChooser.choose(List.of(), null));
  }

  @Test
  void mostFreeMemoryLowestIndexOnTies() {
    assertEquals(1, GpuChooser.choose(gpus, null).index());
  }

  @Test
  void byIndexOrUuid() {
    assertEquals(0, GpuChooser.choose(gpus, "0").index());
    assertEquals(2, GpuChooser.choose(gpus, "GPU-test-2").index());
  }
}
