package dev.edgeppo.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.ppo.AdamState;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PolicyParams;
import dev.edgeppo.ppo.PpoLearner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @TempDir Path dir;

  private static PpoLearner.Snapshot snapshot(int h) {
    PolicyParams p = PolicyParams.initialise(h, 0.3, 42);
    AdamState a = new AdamState(p.layout());
    for (int i = 0; i < a.expAvg().length; i++) {
      a.expAvg()[i] = i * 1e-3f;
      a.expAvgSq()[i] = i * 1e-6f;
    }
    a.setStep(17);
    return new PpoLearner.Snapshot(p, a, 5);
  }

  @Test
  void roundTripKeepsEveryNumber() throws IOException {
    Path f = dir.resolve("policy.safetensors");
    Hyperparameters hp = Hyperparameters.defaults().withHidden(16);
    PpoLearner.Snapshot s = snapshot(16);
    Checkpoint.write(f, s, hp, Map.of("note", "hello"));
    Checkpoint c = Checkpoint.read(f);
    assertArrayEquals(s.params().data(), c.params().data());
    assertArrayEquals(s.adam().expAvg(), c.adam().expAvg());
    assertArrayEquals(s.adam().expAvgSq(), c.adam().expAvgSq());
    assertEquals(17, c.adam().step());
    assertEquals(5, c.updates());
    assertEquals(hp, c.hyperparameters());
    assertEquals("hello", c.metadata().get("note"));
    try (var listing = Files.list(dir)) {
      assertEquals(1, listing.count(), "no temporary file is left behind");
    }
  }

  @Test
  void layoutOnDiskIsSafetensors() throws IOException {
    Path f = dir.resolve("c.safetensors");
    Checkpoint.write(f, snapshot(4), Hyperparameters.defaults().withHidden(4), Map.of());
    byte[] b = Files.readAllBytes(f);
    long n = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, (8 + n) % 8, "data starts 8-byte aligned");
    String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
    assertTrue(header.contains("\"actor.0.weight\":{\"dtype\":\"F32\",\"shape\":[4,5],\"data_offsets\":[0,80]}"), header);
    assertTrue(header.contains("\"optimizer.log_std.exp_avg_sq\""), header);
    assertTrue(header.contains("\"__metadata__\""), header);
  }

  @Test
  void everyTruncationIsRefusedWhole() throws IOException {
    Path f = dir.resolve("c.safetensors");
    Checkpoint.write(f, snapshot(4), Hyperparameters.defaults().withHidden(4), Map.of());
    byte[] full = Files.readAllBytes(f);
    Path cut = dir.resolve("cut.safetensors");
    for (int len : new int[] {0, 5, 8, 20, full.length / 2, full.length - 4, full.length - 1}) {
      Files.write(cut, Arrays.copyOf(full, len));
      IOException e = assertThrows(IOException.class, () -> Checkpoint.read(cut), "length " + len);
      assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("header"), e.getMessage());
    }
  }

  @Test
  void corruptionsAreNamed() throws IOException {
    Path f = dir.resolve("c.safetensors");
    Checkpoint.write(f, snapshot(4), Hyperparameters.defaults().withHidden(4), Map.of());
    byte[] full = Files.readAllBytes(f);
    String header = new String(full, 8, (int) ByteBuffer.wrap(full, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(), StandardCharsets.UTF_8);

    assertRefused(full, header.replaceFirst("\"F32\"", "\"F16\""), "dtype 'F16'");
    assertRefused(full, header.replaceFirst("\\[4,5\\]", "[5,5]"), "needs");
    assertRefused(full, header.replace("edgeppo-checkpoint", "something-else"), "not an edgeppo checkpoint");
    assertRefused(full, header.replaceFirst("\\{", "["), "header");

    byte[] hugeLength = full.clone();
    ByteBuffer.wrap(hugeLength).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
    Files.write(f, hugeLength);
    assertTrue(assertThrows(IOException.class, () -> Checkpoint.read(f)).getMessage().contains("not plausible"));
  }

  /** Rewrites the header (same length, padded) and expects a refusal whose message contains {@code what}. */
  private void assertRefused(byte[] full, String newHeader, String what) throws IOException {
    int n = (int) ByteBuffer.wrap(full, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    byte[] h = newHeader.getBytes(StandardCharsets.UTF_8);
    assertTrue(h.length <= n, "test header must fit");
    byte[] b = full.clone();
    Arrays.fill(b, 8, 8 + n, (byte) ' ');
    System.arraycopy(h, 0, b, 8, h.length);
    Path f = dir.resolve("bad.safetensors");
    Files.write(f, b);
    IOException e = assertThrows(IOException.class, () -> Checkpoint.read(f));
    assertTrue(e.getMessage().contains(what), "message '" + e.getMessage() + "' should mention " + what);
  }
}
