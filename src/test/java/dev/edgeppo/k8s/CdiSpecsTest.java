package dev.edgeppo.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CdiSpecsTest {
  @TempDir Path dir;

  @Test
  void theLimitsInNvidiasAndHamisFormats() {
    assertEquals(Map.of("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE", "35", "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT", "0=3092M",
        "CUDA_DEVICE_SM_LIMIT", "35", "CUDA_DEVICE_MEMORY_LIMIT_0", "3092m"), ShareLimits.env(35, 3092));
    assertThrows(IllegalArgumentException.class, () -> ShareLimits.env(0, 1));
    assertThrows(IllegalArgumentException.class, () -> ShareLimits.env(101, 1));
    assertThrows(IllegalArgumentException.class, () -> ShareLimits.env(10, 0));
  }

  @Test
  void rewriteReplacesAndRemoveIsIdempotent() throws IOException {
    CdiSpecs cdi = new CdiSpecs(dir);
    Path f = cdi.write("0a1b-uid", 50, 1000);
    assertEquals(dir.resolve("edgeppo.dev-gpu-share_0a1b-uid.json"), f);
    cdi.write("0a1b-uid", 40, 900);
    assertTrue(CdiSpecs.text(f).contains("\"CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=40\""));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of(f), s.toList(), "only the spec, no temp file");
    }
    assertEquals("edgeppo.dev/gpu-share=0a1b-uid", CdiSpecs.deviceId("0a1b-uid"));
    assertTrue(cdi.remove("0a1b-uid"));
    assertFalse(cdi.remove("0a1b-uid"));
    assertFalse(Files.exists(f));
  }

  @Test
  void aUidThatIsNotACdiNameWritesNothing() throws IOException {
    CdiSpecs cdi = new CdiSpecs(dir);
    assertThrows(IllegalArgumentException.class, () -> cdi.write("../escape", 10, 10));
    assertThrows(IllegalArgumentException.class, () -> cdi.write("", 10, 10));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(0, s.count());
    }
  }
}
