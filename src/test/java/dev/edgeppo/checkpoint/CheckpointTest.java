package dev.edgeppo.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

  /** Where tensor {@code name}'s data starts in the file. */
  private static int dataOffset(byte[] full, String name) throws IOException {
    int n = (int) ByteBuffer.wrap(full, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    var header = new com.fasterxml.jackson.databind.ObjectMapper().readTree(new String(full, 8, n, StandardCharsets.UTF_8).strip());
    return 8 + n + header.get(name).get("data_offsets").get(0).asInt();
  }

  /**
   * Issue 9 item 5: a sign flip in log_std[0] (std 0.3 to 3.3) and an exponent flip in actor.2.weight
   * loaded silently on main. Each tensor's CRC32C is in the metadata; a mismatch is refused, naming it.
   */
  @Test
  void aFlippedBitInTensorDataIsRefusedNamingTheTensor() throws IOException {
    Path f = dir.resolve("c.safetensors");
    Checkpoint.write(f, snapshot(4), Hyperparameters.defaults().withHidden(4), Map.of());
    byte[] full = Files.readAllBytes(f);
    assertTrue(Checkpoint.read(f).verified());
    record Flip(String tensor, int byteInFloat, int mask) {}
    for (Flip flip : new Flip[] {new Flip("log_std", 3, 0x80), new Flip("actor.2.weight", 3, 0x40),
        new Flip("optimizer.critic.0.bias.exp_avg_sq", 0, 0x01)}) {
      byte[] b = full.clone();
      b[dataOffset(full, flip.tensor()) + flip.byteInFloat()] ^= (byte) flip.mask();
      Path bad = dir.resolve("flipped.safetensors");
      Files.write(bad, b);
      IOException e = assertThrows(IOException.class, () -> Checkpoint.read(bad), flip.tensor());
      assertTrue(e.getMessage().contains("'" + flip.tensor() + "'") && e.getMessage().contains("CRC32C"), e.getMessage());
    }
  }

  /**
   * Checkpoints from before the checksums (format_version 1, like the Python-written fixture) still load,
   * marked unverified so the agent warns; a version 2 file without them is refused.
   */
  @Test
  void checkpointsWithoutChecksumsLoadUnverifiedOnlyAsVersion1() throws IOException {
    assertFalse(Checkpoint.read(PY_FIXTURE).verified());
    Path f = dir.resolve("c.safetensors");
    Checkpoint.write(f, snapshot(4), Hyperparameters.defaults().withHidden(4), Map.of());
    byte[] full = Files.readAllBytes(f);
    String header = new String(full, 8, (int) ByteBuffer.wrap(full, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(), StandardCharsets.UTF_8);
    var json = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(header.strip());
    ((com.fasterxml.jackson.databind.node.ObjectNode) json.get("__metadata__")).remove("crc32c");
    String noSums = json.toString();
    assertTrue(noSums.length() < header.length(), "test removed the checksums");
    assertRefused(full, noSums, "'crc32c' is missing");
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

  static final Path PY_FIXTURE = Path.of("src/test/resources/fixtures/checkpoint/python-written.safetensors");
  static final Path PY_EXPECTED = Path.of("src/test/resources/fixtures/checkpoint/python-written.expected.json");

  /** A file written by tools/reference/safetensors_io.py (Python's struct and json, nothing of ours). */
  @Test
  void readsWhatPythonWrote() throws IOException {
    Checkpoint c = Checkpoint.read(PY_FIXTURE);
    var expected = new com.fasterxml.jackson.databind.ObjectMapper().readTree(PY_EXPECTED.toFile());
    assertEquals(4, c.params().layout().hidden());
    assertEquals(7, c.adam().step());
    assertEquals(3, c.updates());
    int tensors = 0;
    for (var it = expected.get("tensors").fields(); it.hasNext(); tensors++) {
      var e = it.next();
      float[] want = new float[e.getValue().get("data").size()];
      for (int i = 0; i < want.length; i++) want[i] = e.getValue().get("data").get(i).floatValue();
      String name = e.getKey();
      float[] got;
      if (name.endsWith(".exp_avg_sq")) got = slice(c.adam().expAvgSq(), c, name.substring(10, name.length() - 11));
      else if (name.endsWith(".exp_avg")) got = slice(c.adam().expAvg(), c, name.substring(10, name.length() - 8));
      else got = c.params().tensorCopy(name);
      assertArrayEquals(want, got, name);
    }
    assertEquals(39, tensors, "13 parameters and their two Adam moments");
  }

  private static float[] slice(float[] a, Checkpoint c, String param) {
    var t = c.params().layout().tensor(param);
    return Arrays.copyOfRange(a, t.offset(), t.offset() + t.size());
  }

  /** What Java writes, Python's reader reads back number for number (skipped without a python3). */
  @Test
  void pythonReadsWhatJavaWrote() throws Exception {
    String python = findPython();
    org.junit.jupiter.api.Assumptions.assumeTrue(python != null, "no python3 on PATH: the Java-to-Python check is skipped");
    Path f = dir.resolve("java.safetensors");
    PpoLearner.Snapshot s = snapshot(4);
    Checkpoint.write(f, s, Hyperparameters.defaults().withHidden(4), Map.of());
    Process p = new ProcessBuilder(python, "tools/reference/safetensors_io.py", "dump", f.toString()).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertEquals(0, p.waitFor(), new String(out, StandardCharsets.UTF_8));
    var dump = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out);
    assertEquals("17", dump.get("metadata").get("adam_step").asText());
    var w = dump.get("tensors").get("actor.2.weight");
    assertEquals("[4,4]", w.get("shape").toString());
    float[] want = s.params().tensorCopy("actor.2.weight");
    for (int i = 0; i < want.length; i++) assertEquals(want[i], w.get("data").get(i).floatValue(), "actor.2.weight[" + i + "]");
    var m = dump.get("tensors").get("optimizer.critic.4.bias.exp_avg_sq").get("data");
    assertEquals(s.adam().expAvgSq()[s.params().layout().tensor("critic.4.bias").offset()], m.get(0).floatValue());
    assertEquals(39, dump.get("tensors").size());
  }

  private static String findPython() {
    for (String dirName : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path c = Path.of(dirName, "python3");
      if (Files.isExecutable(c)) return c.toString();
    }
    return null;
  }
}
