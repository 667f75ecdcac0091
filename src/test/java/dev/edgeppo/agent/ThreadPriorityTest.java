package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The trainer's nice value lands on the one thread that set it, as the kernel's own /proc reports it. */
class ThreadPriorityTest {
  @Test
  void lowersOnlyTheCallingThread() throws Exception {
    assumeTrue(ThreadPriority.supported(), "skipped: setpriority per thread needs Linux and native access");
    int mainTid = ThreadPriority.currentTid();
    int mainBefore = ThreadPriority.niceOf(mainTid).orElseThrow();
    AtomicReference<int[]> seen = new AtomicReference<>();
    Thread t = new Thread(() -> {
      int tid = ThreadPriority.currentTid();
      int before = ThreadPriority.niceOf(tid).orElseThrow();
      int target = Math.min(19, before + 5);
      boolean ok = ThreadPriority.setCurrentThreadNice(target);
      seen.set(new int[] {ok ? 1 : 0, target, ThreadPriority.niceOf(tid).orElse(Integer.MIN_VALUE), tid});
    });
    t.start();
    t.join();
    int[] s = seen.get();
    assertEquals(1, s[0], "raising one's own nice value needs no privilege");
    assertEquals(s[1], s[2], "/proc/self/task/TID/stat shows the new nice value");
    assertTrue(s[3] != mainTid);
    assertEquals(mainBefore, ThreadPriority.niceOf(mainTid).orElseThrow(), "the other threads keep theirs");
  }

  @Test
  void theAgentsTrainerThreadRunsAtTheTrainerNiceValue() throws Exception {
    assumeTrue(ThreadPriority.supported(), "skipped: setpriority per thread needs Linux and native access");
    int before = ThreadPriority.niceOf(ThreadPriority.currentTid()).orElseThrow();
    AgentOptions threaded = AgentOptions.defaults().with(b -> b.trainInline(false).seed(7).maxMemoryMb(32768L));
    AgentCore core = new AgentCore(dev.edgeppo.ppo.PpoLearner.fresh(dev.edgeppo.ppo.Hyperparameters.defaults(),
        new dev.edgeppo.ppo.CpuBackend(), 42), FixedTelemetry.seedNode(), threaded, Durability.NONE, 0);
    java.util.concurrent.CompletableFuture<int[]> seen = new java.util.concurrent.CompletableFuture<>();
    try {
      core.onTrainer(() -> {
        int tid = ThreadPriority.currentTid();
        seen.complete(new int[] {tid, ThreadPriority.niceOf(tid).orElse(Integer.MIN_VALUE)});
      });
      int[] s = seen.get(60, java.util.concurrent.TimeUnit.SECONDS);
      // Relative to the process's own (make test may run under `nice`): 10 steps nicer, capped at 19.
      assertEquals(Math.min(19, before + ThreadPriority.TRAINER_NICE), s[1], "the trainer thread's own nice value");
      assertEquals(before, ThreadPriority.niceOf(ThreadPriority.currentTid()).orElseThrow(), "the caller's unchanged");
    } finally {
      core.close();
    }
  }

  @Test
  void refusesAValueOutsideTheKernelsRange() {
    assertThrows(IllegalArgumentException.class, () -> ThreadPriority.lowerCurrentThreadBy(-1));
    assertThrows(IllegalArgumentException.class, () -> ThreadPriority.setCurrentThreadNice(20));
    assertThrows(IllegalArgumentException.class, () -> ThreadPriority.setCurrentThreadNice(-21));
  }

  @Test
  void aThreadThatDoesNotExistHasNoNiceValue() {
    assertEquals(OptionalInt.empty(), ThreadPriority.niceOf(Integer.MAX_VALUE));
  }
}
