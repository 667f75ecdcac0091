package dev.edgeppo.ppo;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** The CPU backend behind a gate: each update announces itself, then waits until the test opens the gate (a long update). */
public final class BlockingBackend implements UpdateBackend {
  public final CountDownLatch started = new CountDownLatch(1);
  public final CountDownLatch gate = new CountDownLatch(1);
  private final CpuBackend cpu = new CpuBackend();

  @Override public String name() { return "blocking-cpu"; }

  @Override
  public UpdateMetrics update(PolicyParams params, AdamState adam, RolloutBatch batch, Hyperparameters hp) {
    started.countDown();
    try {
      if (!gate.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("the test never opened the gate");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return cpu.update(params, adam, batch, hp);
  }

  /** Waits for an update to be running. */
  public void awaitStarted() throws InterruptedException {
    if (!started.await(30, TimeUnit.SECONDS)) throw new AssertionError("no update started");
  }
}
