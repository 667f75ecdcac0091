package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDirTest {
  @TempDir Path dir;
  static final Hyperparameters HP = Hyperparameters.defaults();

  static AgentCore core(StateDir sd) {
    AgentCore c = new AgentCore(sd.learner(), FixedTelemetry.seedNode(),
        AgentOptions.defaults().withTrainInline(true).withSeed(3), sd, sd.nextSeq());
    c.replay(sd.toReplay());
    return c;
  }

  static void feed(AgentCore c, int n) {
    for (int i = 0; i < n; i++) {
      Allocation a = c.allocate(new AllocateRequest(30 + i % 50, 2000, null, null));
      c.feedback(new Feedback(a.allocationId(), 20 + i % 60, i % 4 != 0, 1 + i % 5, false));
    }
  }

  @Test
  void restartKeepsPolicyAdamCountersAndJournal() throws Exception {
    float[] learned;
    try (StateDir sd = StateDir.open(dir, HP, new CpuBackend(), 1)) {
      assertFalse(sd.loadedCheckpoint());
      AgentCore c = core(sd);
      feed(c, 32 + 32 + 10);
      assertEquals(2, c.updates());
      learned = c.learner().policy().params().data();
    }
    try (StateDir sd = StateDir.open(dir, HP, new CpuBackend(), 999)) {
      assertTrue(sd.loadedCheckpoint());
      assertEquals(2, sd.learner().updates());
      assertEquals(2 * HP.epochs(), sd.learner().snapshot().adam().step());
      assertArrayEquals(learned, sd.learner().policy().params().data());
      assertEquals(10, sd.toReplay().size());
      assertEquals(64, sd.toReplay().getFirst().seq());
      AgentCore c = core(sd);
      assertEquals(10, c.buffered());
      feed(c, 22);
      assertEquals(3, c.updates());
      assertEquals(0, c.buffered());
    }
    try (StateDir sd = StateDir.open(dir, HP, new CpuBackend(), 1)) {
      assertEquals(3, sd.learner().updates());
      assertEquals(0, sd.toReplay().size());
      assertEquals(96, sd.nextSeq());
    }
  }

  @Test
  void journalRecordsTheCheckpointHoldsAreSkippedEvenIfCompactionNeverHappened() throws Exception {
    Path journalCopy = dir.resolve("before-compaction");
    try (StateDir sd = StateDir.open(dir, HP, new CpuBackend(), 1)) {
      AgentCore c = core(sd);
      feed(c, 31);
      Files.copy(dir.resolve(StateDir.JOURNAL), journalCopy);
      feed(c, 3);
      assertEquals(1, c.updates());
    }
    // As if the process died after the checkpoint's rename but before the journal was compacted.
    byte[] old = Files.readAllBytes(journalCopy);
    byte[] tail = Files.readAllBytes(dir.resolve(StateDir.JOURNAL));
    byte[] both = new byte[old.length + tail.length];
    System.arraycopy(old, 0, both, 0, old.length);
    // Journal order must be by seq: the 32nd record was trained too, so only the 2 after it remain.
    System.arraycopy(tail, 0, both, old.length, tail.length);
    Files.write(dir.resolve(StateDir.JOURNAL), both);
    try (StateDir sd = StateDir.open(dir, HP, new CpuBackend(), 1)) {
      assertEquals(2, sd.toReplay().size());
      assertEquals(32, sd.toReplay().getFirst().seq());
    }
  }

  @Test
  void corruptCheckpointIsRefusedWithItsReason() throws Exception {
    try (StateDir sd = StateDir.open(dir, HP, new CpuBackend(), 1)) {
      feed(core(sd), 32);
    }
    Path ck = dir.resolve(StateDir.CHECKPOINT);
    byte[] b = Files.readAllBytes(ck);
    Files.write(ck, java.util.Arrays.copyOf(b, b.length - 100));
    IOException e = assertThrows(IOException.class, () -> StateDir.open(dir, HP, new CpuBackend(), 1));
    assertTrue(e.getMessage().contains(StateDir.CHECKPOINT), e.getMessage());
  }

  @Test
  void hiddenSizeMismatchIsRefused() throws Exception {
    try (StateDir sd = StateDir.open(dir, HP, new CpuBackend(), 1)) {
      feed(core(sd), 32);
    }
    IOException e = assertThrows(IOException.class, () -> StateDir.open(dir, HP.withHidden(32), new CpuBackend(), 1));
    assertTrue(e.getMessage().contains("hidden=64"), e.getMessage());
  }
}
