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
  void refusesAValueOutsideTheKernelsRange() {
    assertThrows(IllegalArgumentException.class, () -> ThreadPriority.setCurrentThreadNice(20));
    assertThrows(IllegalArgumentException.class, () -> ThreadPriority.setCurrentThreadNice(-21));
  }

  @Test
  void aThreadThatDoesNotExistHasNoNiceValue() {
    assertEquals(OptionalInt.empty(), ThreadPriority.niceOf(Integer.MAX_VALUE));
  }
}
