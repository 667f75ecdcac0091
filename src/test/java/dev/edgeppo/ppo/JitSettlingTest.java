package dev.edgeppo.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The warm-up's stopping rule, on made-up call times and a made-up JIT clock. */
class JitSettlingTest {
  /** Feeds calls until settled or {@code max}; returns how many it took (max + 1: never). */
  static int callsToSettle(JitSettling s, java.util.function.IntToLongFunction nanos, Runnable perCall, int max) {
    for (int i = 1; i <= max; i++) {
      perCall.run();
      if (s.record(nanos.applyAsLong(i))) return i;
    }
    return max + 1;
  }

  @Test
  void steadyCallsWithAQuietCompilerSettleAfterTwoStableWindowsPastTheFirst() {
    AtomicLong jit = new AtomicLong(100);
    JitSettling s = new JitSettling(10, 0, 2, 0.25, jit::get);
    // Window 1 has nothing to compare with; windows 2 and 3 are stable: settled at call 30.
    assertEquals(30, callsToSettle(s, i -> 350_000, () -> {}, 1000));
    assertTrue(s.settled());
    assertEquals(350.0, s.lastMedianMicros(), 1e-9);
    assertTrue(s.record(1_000_000_000L), "stays settled");
  }

  @Test
  void aCompilerStillAtWorkKeepsItFromSettling() {
    AtomicLong jit = new AtomicLong();
    JitSettling s = new JitSettling(10, 0, 2, 0.25, jit::get);
    // One more millisecond of compilation every 7 calls: every window of 10 sees the JIT at work.
    int[] n = {0};
    assertEquals(1001, callsToSettle(s, i -> 350_000, () -> { if (++n[0] % 7 == 0) jit.incrementAndGet(); }, 1000));
    assertFalse(s.settled());
  }

  @Test
  void callsStillGettingFasterKeepItFromSettling() {
    JitSettling s = new JitSettling(10, 0, 2, 0.25, () -> 0L);
    // Each window 40 % faster than the one before, as while C1 and then C2 take over.
    assertEquals(201, callsToSettle(s, i -> (long) (10_000_000 * Math.pow(0.6, (i - 1) / 10)), () -> {}, 200));
  }

  @Test
  void theCompilerGoingQuietThenSettlesIt() {
    AtomicLong jit = new AtomicLong();
    JitSettling s = new JitSettling(10, 0, 2, 0.25, jit::get);
    int[] n = {0};
    // Compiling during the first 50 calls; quiet after. Windows 6 and 7 (calls 51-70) are the stable pair.
    assertEquals(70, callsToSettle(s, i -> 350_000, () -> { if (++n[0] <= 50) jit.incrementAndGet(); }, 1000));
  }

  @Test
  void aWindowLastsAtLeastItsMinimumTime() {
    JitSettling s = new JitSettling(10, 5_000_000, 2, 0.25, () -> 0L);
    // 100 µs calls: a window needs 50 of them to reach 5 ms, so two stable windows past the first end at 150.
    assertEquals(150, callsToSettle(s, i -> 100_000, () -> {}, 1000));
    assertEquals(3, s.windows());
  }

  @Test
  void withoutCompilationMonitoringTheMedianAloneDecides() {
    JitSettling s = new JitSettling(5, 0, 1, 0.1, null);
    assertEquals(10, callsToSettle(s, i -> 1_000, () -> {}, 100));
    assertEquals(0, s.compileMillis());
  }
}
