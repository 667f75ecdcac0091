package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.checkpoint.Checkpoint;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.storage.FaultyFs;
import dev.edgeppo.storage.FaultyFs.Op;
import dev.edgeppo.storage.StateFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durability protocol ({@link Durability}: append, fsync, mark answered; train; checkpoint; compact)
 * under injected file-system faults, on real files through {@link FaultyFs}. After every fault the
 * directory is reopened with the real file system, as a restarted agent would, and checked: every
 * feedback answered is in the checkpoint or replayed, none is both, and a refused one changed nothing.
 */
class DurabilityFaultTest {
  @TempDir Path dir;
  /** Small and fast: batches of 4, one epoch, H 8. */
  static final Hyperparameters HP;

  static {
    try {
      HP = Hyperparameters.withOverrides(new ObjectMapper().readTree("{\"batch_size\":4,\"minibatch_size\":4,\"epochs\":1,\"hidden\":8}"));
    } catch (IOException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  Agent open(StateFs fs) throws IOException {
    Agent a = Agent.open(dir, fs, HP, new CpuBackend(), FixedTelemetry.seedNode(),
        AgentOptions.defaults().with(b -> b.trainInline(true).seed(3)));
    a.replay();
    return a;
  }

  /** What a restarted agent finds: the checkpoint's trained-through seq and updates, and the seqs it replays. */
  record Reopened(long through, long updates, List<Long> replay) {}

  Reopened reopen() throws IOException {
    try (StateDir sd = StateDir.open(dir, HP)) {
      long through = sd.checkpoint().map(c -> Long.parseLong(c.metadata().get(StateDir.TRAINED_THROUGH))).orElse(-1L);
      return new Reopened(through, sd.checkpoint().map(Checkpoint::updates).orElse(0L),
          sd.toReplay().stream().map(Experience::seq).toList());
    }
  }

  /** Every answered seq is trained into the checkpoint or replayed, and none is both. */
  static void assertKept(Set<Long> answered, Reopened r) {
    for (long s : answered) assertTrue(s <= r.through() || r.replay().contains(s), "answered seq " + s + " lost: " + r);
    for (long s : r.replay()) assertTrue(s > r.through(), "seq " + s + " would be trained twice: " + r);
  }

  static Allocation allocate(AgentCore c, int i) { return c.allocate(new AllocateRequest(20 + i % 70, 1000 + i, null, null)); }

  static FeedbackResult feedback(AgentCore c, Allocation a) { return c.feedback(new Feedback(a.allocationId(), 30, true, 2, false)); }

  /** Issue 9 item 1: main marked the allocation answered before the append, so the retry got 409 and the experience was gone. */
  @Test
  void refusedFeedbackChangesNothingAndItsRetrySucceeds() throws Exception {
    for (Op op : new Op[] {Op.WRITE, Op.FORCE}) {
      FaultyFs fs = new FaultyFs();
      try (Agent agent = open(fs)) {
        AgentCore c = agent.core();
        Allocation a = allocate(c, 0);
        long journalBefore = Files.size(dir.resolve(StateDir.JOURNAL));
        fs.failOnce(op, op == Op.WRITE ? FaultyFs::enospc : FaultyFs::eio);
        StateDirException e = assertThrows(StateDirException.class, () -> feedback(c, a));
        assertTrue(e.reason().contains(op == Op.WRITE ? "No space left on device" : "Input/output error"), e.reason());
        assertFalse(e.reason().contains(dir.toString()), "no paths for clients: " + e.reason());
        assertEquals(1, c.pending(), "still pending");
        assertEquals(0, c.buffered(), "nothing buffered");
        assertEquals(journalBefore, Files.size(dir.resolve(StateDir.JOURNAL)), "nothing left in the journal");
        FeedbackResult ok = feedback(c, a);
        assertEquals(1, ok.buffered());
        assertEquals(0, c.pending());
        assertThrows(DuplicateFeedbackException.class, () -> feedback(c, a));
      }
      for (Path p : List.of(dir.resolve(StateDir.JOURNAL), dir.resolve(StateDir.CHECKPOINT))) Files.deleteIfExists(p);
    }
  }

  /**
   * Issue 9 item 2: a short write (ENOSPC after half the record) left a partial record mid-file on main, and
   * recovery stopped there, dropping the ten feedbacks acknowledged after it. Here the partial record is cut
   * back at once, so a kill -9 afterwards keeps them all.
   */
  @Test
  void aTornAppendIsCutBackSoLaterAcknowledgedFeedbacksSurviveACrash() throws Exception {
    FaultyFs fs = new FaultyFs();
    Set<Long> answered = new HashSet<>();
    Agent agent = open(fs); // never closed: the process "dies" with it
    AgentCore c = agent.core();
    for (int i = 0; i < 5; i++) answered.add(feedback(c, allocate(c, i)).seq());
    fs.failOnce(Op.WRITE, FaultyFs::enospc);
    Allocation refused = allocate(c, 5);
    assertThrows(StateDirException.class, () -> feedback(c, refused));
    assertEquals(0, Files.size(dir.resolve(StateDir.JOURNAL)) % Journal.RECORD, "no partial record in the file");
    for (int i = 6; i < 16; i++) answered.add(feedback(c, allocate(c, i)).seq());
    Reopened r = reopen();
    assertKept(answered, r);
    assertEquals(15, answered.size());
    assertEquals(3, r.updates(), "15 answered feedbacks: three batches of 4 trained, 3 replayed");
    assertEquals(3, r.replay().size());
  }

  /** A failed fsync cuts off what it could not make durable; those feedbacks are refused, later ones kept. */
  @Test
  void aFailedFsyncRefusesItsFeedbackAndKeepsTheJournalUsable() throws Exception {
    FaultyFs fs = new FaultyFs();
    Set<Long> answered = new HashSet<>();
    Agent agent = open(fs);
    AgentCore c = agent.core();
    for (int i = 0; i < 2; i++) answered.add(feedback(c, allocate(c, i)).seq());
    fs.failOnce(Op.FORCE, FaultyFs::eio);
    Allocation refused = allocate(c, 2);
    assertThrows(StateDirException.class, () -> feedback(c, refused));
    assertEquals(2L * Journal.RECORD, Files.size(dir.resolve(StateDir.JOURNAL)), "cut back to the last fsynced record");
    assertTrue(c.durabilityProblem().isEmpty());
    answered.add(feedback(c, refused).seq()); // the retry
    answered.add(feedback(c, allocate(c, 3)).seq());
    assertKept(answered, reopen());
  }

  /** When even cutting back fails, the journal refuses appends and says why, until a repair succeeds. */
  @Test
  void aJournalThatCannotBeCutBackRefusesUntilRepaired() throws Exception {
    FaultyFs fs = new FaultyFs();
    Set<Long> answered = new HashSet<>();
    Agent agent = open(fs);
    AgentCore c = agent.core();
    answered.add(feedback(c, allocate(c, 0)).seq());
    fs.fail(call -> call.op() == Op.WRITE || call.op() == Op.TRUNCATE ? FaultyFs.enospc(call.path()) : null);
    Allocation a = allocate(c, 1);
    assertThrows(StateDirException.class, () -> feedback(c, a));
    assertTrue(c.durabilityProblem().isPresent());
    assertFalse(c.durabilityProblem().get().contains(dir.toString()), c.durabilityProblem().get());
    StateDirException still = assertThrows(StateDirException.class, () -> feedback(c, a));
    assertTrue(still.reason().contains("repair failed"), still.reason());
    assertEquals(1, c.pending());
    fs.heal(); // space freed
    answered.add(feedback(c, a).seq());
    assertTrue(c.durabilityProblem().isEmpty());
    answered.add(feedback(c, allocate(c, 2)).seq());
    Reopened r = reopen();
    assertKept(answered, r);
    assertEquals(3, r.replay().size());
  }

  /**
   * Issue 9 item 4: main closed the journal before the rename, so a failed rename left it closed for ever
   * (every later feedback 503, then 409 on retry) and journal.log.tmp behind.
   */
  @Test
  void aFailedCompactionLeavesTheJournalUsableAndNoTempFile() throws Exception {
    FaultyFs fs = new FaultyFs();
    Set<Long> answered = new HashSet<>();
    Agent agent = open(fs);
    AgentCore c = agent.core();
    fs.fail(call -> call.op() == Op.RENAME && call.path().getFileName().toString().equals(StateDir.JOURNAL)
        ? new java.nio.file.AccessDeniedException(call.path().toString()) : null);
    for (int i = 0; i < 4; i++) answered.add(feedback(c, allocate(c, i)).seq());
    assertEquals(1, c.updates());
    assertEquals(1, c.failedCompactions());
    assertEquals(0, c.failedCheckpoints(), "the checkpoint itself was written");
    assertFalse(Files.exists(dir.resolve(StateDir.JOURNAL + ".tmp")), "no stray temp file");
    assertTrue(c.durabilityProblem().isEmpty());
    for (int i = 4; i < 6; i++) answered.add(feedback(c, allocate(c, i)).seq());
    fs.heal();
    for (int i = 6; i < 9; i++) answered.add(feedback(c, allocate(c, i)).seq());
    assertEquals(2, c.updates());
    Reopened r = reopen();
    assertKept(answered, r);
    assertEquals(7, r.through());
    assertEquals(List.of(8L), r.replay());
  }

  /** A checkpoint that cannot be written (its rename fails) keeps the journal uncompacted: replay trains it again. */
  @Test
  void aFailedCheckpointLosesNothing() throws Exception {
    FaultyFs fs = new FaultyFs();
    Set<Long> answered = new HashSet<>();
    Agent agent = open(fs);
    AgentCore c = agent.core();
    fs.failAlways(Op.RENAME, FaultyFs::enospc);
    for (int i = 0; i < 5; i++) answered.add(feedback(c, allocate(c, i)).seq());
    assertEquals(1, c.updates());
    assertEquals(1, c.failedCheckpoints());
    assertFalse(Files.exists(dir.resolve(StateDir.CHECKPOINT + ".tmp")), "no stray temp file");
    Reopened r = reopen();
    assertEquals(-1, r.through());
    assertEquals(5, r.replay().size());
    assertKept(answered, r);
  }

  /**
   * A crash between any two steps of the protocol: the scenario (10 feedbacks, two updates with their
   * checkpoints and compactions) is run once per file operation, dying at that operation; each time the
   * reopened directory must hold every answered feedback exactly once, and the agent must start on it.
   */
  @Test
  void aCrashAtEveryFileOperationLosesNothingAnsweredAndTrainsNothingTwice() throws Exception {
    FaultyFs probe = new FaultyFs();
    try (Agent a = open(probe)) {
      for (int i = 0; i < 10; i++) feedback(a.core(), allocate(a.core(), i));
    }
    int ops = probe.calls().size();
    assertTrue(ops > 40, "the scenario exercises the whole protocol: " + ops + " operations");
    for (int k = 0; k < ops; k++) {
      for (Path p : Files.list(dir).toList()) Files.delete(p);
      FaultyFs fs = new FaultyFs().crashAt(k);
      Set<Long> answered = new HashSet<>();
      Agent agent;
      try {
        agent = open(fs);
      } catch (IOException crashedAtStart) {
        continue;
      }
      for (int i = 0; i < 10; i++) {
        try {
          answered.add(feedback(agent.core(), allocate(agent.core(), i)).seq());
        } catch (StateDirException refused) {
          // after the crash point nothing more happens; what was refused was never answered
        }
      }
      Reopened r = reopen();
      assertKept(answered, r);
      try (Agent again = open(StateFs.real())) {
        assertEquals(r.updates() + r.replay().size() / HP.batchSize(), again.core().updates(), "crash at op " + k);
      }
    }
  }

  /** Issue 9 item 5 (operator side): a state dir the agent may not write says so. */
  @Test
  void aStateDirThatCannotBeWrittenSaysWhy() throws Exception {
    Path file = dir.resolve("not-a-dir");
    Files.writeString(file, "x");
    IOException e = assertThrows(IOException.class, () -> StateDir.open(file.resolve("sub"), HP));
    assertTrue(e.getMessage().contains("cannot create the state dir"), e.getMessage());
    FaultyFs fs = new FaultyFs().failOnce(Op.OPEN, p -> new java.nio.file.AccessDeniedException(p.toString()));
    IOException denied = assertThrows(IOException.class, () -> StateDir.open(fs, dir, HP));
    assertTrue(denied.getMessage().contains("permission denied"), denied.getMessage());
    assertTrue(denied.getMessage().contains(StateDir.JOURNAL), denied.getMessage());
  }

  /** Item 3 through the agent: mid-file corruption keeps every valid record, and says so as a WARNING and a metric. */
  @Test
  void midFileCorruptionIsReportedAndEveryValidRecordReplayed() throws Exception {
    FaultyFs fs = new FaultyFs();
    Agent agent = open(fs);
    for (int i = 0; i < 3; i++) feedback(agent.core(), allocate(agent.core(), i));
    Path j = dir.resolve(StateDir.JOURNAL);
    byte[] b = Files.readAllBytes(j);
    b[Journal.RECORD + 20] ^= 0x40;
    Files.write(j, b);
    List<java.util.logging.LogRecord> logged = new ArrayList<>();
    java.util.logging.Logger log = java.util.logging.Logger.getLogger(Agent.class.getName());
    java.util.logging.Handler h = new java.util.logging.Handler() {
      @Override public void publish(java.util.logging.LogRecord r) { logged.add(r); }
      @Override public void flush() {}
      @Override public void close() {}
    };
    log.addHandler(h);
    try (Agent again = open(StateFs.real())) {
      assertEquals(2, again.core().buffered(), "records 0 and 2 replayed; record 1 is the damaged one");
      assertEquals(Journal.RECORD, again.core().journalCorruptBytesAtStart());
      assertTrue(logged.stream().anyMatch(r -> r.getLevel() == java.util.logging.Level.WARNING && r.getMessage().contains("corrupt")),
          "a WARNING, not an INFO");
    } finally {
      log.removeHandler(h);
    }
  }
}
