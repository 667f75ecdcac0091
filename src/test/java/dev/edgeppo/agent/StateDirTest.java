package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.storage.StateFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDirTest {
  @TempDir Path dir;
  static final Hyperparameters HP = Hyperparameters.defaults();

  /** The agent on {@code dir} as serve opens it (through the composition root), training inline. */
  static Agent open(Path dir, Hyperparameters hp, long seed) throws IOException {
    Agent a = Agent.open(dir, StateFs.real(), hp, new CpuBackend(), FixedTelemetry.seedNode(),
        AgentOptions.defaults().with(b -> b.trainInline(true).seed(seed)));
    a.replay();
    return a;
  }

  static AgentCore core(Agent a) { return a.core(); }

  static void feed(AgentCore c, int n) {
    for (int i = 0; i < n; i++) {
      Allocation a = c.allocate(new AllocateRequest(30 + i % 50, 2000, null, null));
      c.feedback(new Feedback(a.allocationId(), 20 + i % 60, i % 4 != 0, 1 + i % 5, false));
    }
  }

  @Test
  void restartKeepsPolicyAdamCountersAndJournal() throws Exception {
    float[] learned;
    try (Agent sd = open(dir, HP, 1)) {
      assertFalse(sd.stateDir().checkpoint().isPresent());
      AgentCore c = core(sd);
      feed(c, 32 + 32 + 10);
      assertEquals(2, c.updates());
      learned = c.learner().policy().params().data();
    }
    try (Agent sd = open(dir, HP, 999)) {
      assertTrue(sd.stateDir().checkpoint().isPresent());
      assertEquals(2, sd.core().learner().updates());
      assertEquals(2 * HP.epochs(), sd.core().learner().snapshot().adam().step());
      assertArrayEquals(learned, sd.core().learner().policy().params().data());
      assertEquals(10, sd.stateDir().toReplay().size());
      assertEquals(64, sd.stateDir().toReplay().getFirst().seq());
      AgentCore c = core(sd);
      assertEquals(10, c.buffered());
      feed(c, 22);
      assertEquals(3, c.updates());
      assertEquals(0, c.buffered());
    }
    try (Agent sd = open(dir, HP, 1)) {
      assertEquals(3, sd.core().learner().updates());
      assertEquals(0, sd.stateDir().toReplay().size());
      assertEquals(96, sd.stateDir().nextSeq());
    }
  }

  @Test
  void journalRecordsTheCheckpointHoldsAreSkippedEvenIfCompactionNeverHappened() throws Exception {
    Path journalCopy = dir.resolve("before-compaction");
    try (Agent sd = open(dir, HP, 1)) {
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
    try (Agent sd = open(dir, HP, 1)) {
      assertEquals(2, sd.stateDir().toReplay().size());
      assertEquals(32, sd.stateDir().toReplay().getFirst().seq());
    }
  }

  @Test
  void corruptCheckpointIsRefusedWithItsReason() throws Exception {
    try (Agent sd = open(dir, HP, 1)) {
      feed(core(sd), 32);
    }
    Path ck = dir.resolve(StateDir.CHECKPOINT);
    byte[] b = Files.readAllBytes(ck);
    Files.write(ck, java.util.Arrays.copyOf(b, b.length - 100));
    IOException e = assertThrows(IOException.class, () -> open(dir, HP, 1));
    assertTrue(e.getMessage().contains(StateDir.CHECKPOINT), e.getMessage());
  }

  @Test
  void hiddenSizeMismatchIsRefused() throws Exception {
    try (Agent sd = open(dir, HP, 1)) {
      feed(core(sd), 32);
    }
    IOException e = assertThrows(IOException.class, () -> open(dir, HP.withHidden(32), 1));
    assertTrue(e.getMessage().contains("hidden=64"), e.getMessage());
  }
}
