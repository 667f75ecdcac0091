package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.ppo.BlockingBackend;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.UpdateBackend;
import dev.edgeppo.storage.StateFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 item 6: on main, SIGTERM during a long update waited for it past 10 s (the shutdown checkpoint
 * waited on the synchronized learner), then wrote {@code updates=1} with a stale {@code trained_through_seq},
 * so the restart trained the same batch again. Now shutdown has one deadline, and the checkpoint records
 * exactly the update it holds.
 */
class ShutdownTest {
  @TempDir Path dir;

  Agent open(UpdateBackend backend, boolean inline) throws IOException {
    Agent a = Agent.open(dir, StateFs.real(), DurabilityFaultTest.HP, backend, FixedTelemetry.seedNode(),
        AgentOptions.defaults().with(b -> b.trainInline(inline).seed(3)));
    a.replay();
    return a;
  }

  static void feed(AgentCore c, int n) {
    for (int i = 0; i < n; i++) DurabilityFaultTest.feedback(c, DurabilityFaultTest.allocate(c, i));
  }

  DurabilityFaultTest.Reopened reopen() throws IOException {
    DurabilityFaultTest t = new DurabilityFaultTest();
    t.dir = dir;
    return t.reopen();
  }

  @Test
  void anUpdateStillRunningAtTheDeadlineIsAbandonedAndTrainedOnceAfterRestart() throws Exception {
    BlockingBackend slow = new BlockingBackend();
    Agent agent = open(slow, false);
    feed(agent.core(), 5);
    slow.awaitStarted();
    try {
      assertTimeoutPreemptively(Duration.ofSeconds(8), () -> agent.close(Duration.ofSeconds(2)),
          "shutdown must not wait for the update past its deadline");
      DurabilityFaultTest.Reopened r = reopen();
      assertEquals(0, r.updates(), "the checkpoint holds no update: the running one never completed");
      assertEquals(-1, r.through());
      assertEquals(5, r.replay().size(), "the abandoned batch and the buffered experience are all in the journal");
    } finally {
      slow.gate.countDown(); // the abandoned update ends now; it must not write anything any more
    }
    Thread.sleep(200);
    assertFalse(Files.exists(dir.resolve(StateDir.CHECKPOINT)), "nothing written after close");
    try (Agent again = open(new CpuBackend(), true)) {
      assertEquals(1, again.core().updates(), "the abandoned batch is trained once, from the journal");
      assertEquals(1, again.core().buffered());
    }
    DurabilityFaultTest.Reopened r = reopen();
    assertEquals(1, r.updates());
    assertEquals(3, r.through());
    assertEquals(java.util.List.of(4L), r.replay(), "trained seqs are not replayed again");
  }

  @Test
  void anUpdateThatEndsBeforeTheDeadlineIsKept() throws Exception {
    BlockingBackend slow = new BlockingBackend();
    Agent agent = open(slow, false);
    feed(agent.core(), 4);
    slow.awaitStarted();
    Thread.ofPlatform().start(() -> {
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        return;
      }
      slow.gate.countDown();
    });
    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> agent.close(Duration.ofSeconds(10)));
    DurabilityFaultTest.Reopened r = reopen();
    assertEquals(1, r.updates());
    assertEquals(3, r.through());
    assertTrue(r.replay().isEmpty());
  }
}
