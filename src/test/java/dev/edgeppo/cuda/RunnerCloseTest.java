package dev.edgeppo.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Closing runners: every resource freed even when one free fails; no memory freed under a running launch. */
class RunnerCloseTest {
  @Test
  void releaseRunsEveryStepAndReportsTheFirstFailureWithTheOthers() {
    List<String> ran = new ArrayList<>();
    KernelException e = assertThrows(KernelException.class, () -> Release.all("closing", List.of(
        () -> ran.add("buffer 1"),
        () -> { ran.add("buffer 2"); throw new IllegalStateException("cuMemFree failed"); },
        () -> ran.add("module"),
        () -> { ran.add("context"); throw new IllegalStateException("release failed"); })));
    assertEquals(List.of("buffer 1", "buffer 2", "module", "context"), ran, "a failing free does not stop the others");
    assertTrue(e.getMessage().contains("cuMemFree failed"), e.getMessage());
    assertEquals(1, e.getSuppressed().length);
  }

  /**
   * Issue 9: HostRunner passes raw addresses to native code, so a close() from the shutdown thread during a
   * launch freed memory the kernel was using. Now the free waits for the work in flight.
   */
  @Test
  void aCloseFromAnotherThreadDuringWorkFreesOnlyWhenTheWorkReturns() throws Exception {
    Assumptions.assumeTrue(HostRunner.unavailableReason().isEmpty(), () -> "host kernels unavailable: " + HostRunner.unavailableReason());
    HostRunner r = new HostRunner();
    float[] back = r.call(() -> {
      DeviceBuffer b = r.allocate(4);
      r.upload(new float[] {1, 2, 3, 4}, 0, b.at(0), 4);
      Thread closer = Thread.ofPlatform().start(r::close);
      closer.join();
      // Closed meanwhile, but this work is still running: its memory must still be there.
      float[] out = new float[4];
      r.download(b.at(0), out, 0, 4);
      return out;
    });
    assertArrayEquals(new float[] {1, 2, 3, 4}, back);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> r.allocate(1));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    r.close(); // idempotent
  }

  @Test
  void closeIsIdempotentAndRefusesLaterWork() {
    Assumptions.assumeTrue(HostRunner.unavailableReason().isEmpty(), () -> "host kernels unavailable: " + HostRunner.unavailableReason());
    HostRunner r = new HostRunner();
    r.allocate(8);
    r.close();
    r.close();
    assertThrows(IllegalStateException.class, () -> r.launch("linear_forward", new Launch(1, 1, 0), new KernelArgs()));
  }

  @Test
  void inFlightFreesOnceByWhoeverLeavesLast() {
    InFlight g = new InFlight();
    g.enter("a");
    g.enter("b");
    assertEquals(false, g.close(), "work in flight: not now");
    assertEquals(false, g.exit());
    assertEquals(true, g.exit(), "the last one out frees");
    assertEquals(false, g.close(), "and only once");
    assertThrows(IllegalStateException.class, () -> g.enter("late"));
  }
}
