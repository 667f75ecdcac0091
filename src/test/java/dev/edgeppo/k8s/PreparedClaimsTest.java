package dev.edgeppo.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreparedClaimsTest {
  @TempDir Path dir;

  static PreparedClaim claim(String uid, String alloc) {
    return new PreparedClaim(uid, "ns", "n-" + uid, "pod-" + uid, "edge-1", "gpu-0", "gpu", null, 0, alloc, 20, 1024, 40, 2048, "policy");
  }

  @Test
  void survivesReopeningAndForgetsWhatWasRemoved() throws IOException {
    PreparedClaims m = PreparedClaims.open(dir);
    m.put(claim("a", "alloc-a"));
    m.put(claim("b", null));
    m.remove("a");
    assertNull(m.remove("never"));
    PreparedClaims again = PreparedClaims.open(dir);
    assertEquals(List.of(claim("b", null)), again.all());
    assertNull(again.get("a"));
    assertTrue(Files.notExists(dir.resolve(PreparedClaims.FILE + ".tmp")), "no temp file left behind");
  }

  @Test
  void aDamagedFileIsRefusedWithTheReasonNotHalfRead() throws IOException {
    PreparedClaims m = PreparedClaims.open(dir);
    m.put(claim("a", "alloc-a"));
    Path f = dir.resolve(PreparedClaims.FILE);
    String text = Files.readString(f);
    Files.writeString(f, text.replace("alloc-a", "alloc-b"), StandardCharsets.UTF_8);
    assertTrue(assertThrows(IOException.class, () -> PreparedClaims.open(dir)).getMessage().contains("fails its checksum"));
    Files.writeString(f, text.substring(0, text.length() / 2), StandardCharsets.UTF_8);
    assertTrue(assertThrows(IOException.class, () -> PreparedClaims.open(dir)).getMessage().contains("is not JSON"));
    Files.writeString(f, "{\"version\":7,\"crc32c\":0,\"claims\":[]}", StandardCharsets.UTF_8);
    assertTrue(assertThrows(IOException.class, () -> PreparedClaims.open(dir)).getMessage().contains("is not a version 1 claim map"));
  }
}
