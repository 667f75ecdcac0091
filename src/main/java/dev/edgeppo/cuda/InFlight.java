package dev.edgeppo.cuda;

/**
 * Lets {@code close()} come from another thread (the shutdown hook) while kernels run, without freeing
 * memory under them: work enters and exits; a close while work is in flight only marks the runner closed,
 * and the last work to exit does the freeing. New work that enters after close is refused; steps of work
 * already running (a launch inside an update) continue.
 */
final class InFlight {
  private int running;
  private boolean closed, freed;
  /** How deep the current thread is inside work: nested steps of running work are not new work. */
  private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);

  synchronized void enter(String what) {
    int[] d = depth.get();
    if (closed && d[0] == 0) throw new IllegalStateException(what + ": the runner is closed");
    d[0]++;
    running++;
  }

  /** True when the caller is the last one out after a close and must free now. */
  synchronized boolean exit() {
    depth.get()[0]--;
    running--;
    return takeFree();
  }

  /** True when the caller must free now (nothing in flight); false when already closed or deferred. */
  synchronized boolean close() {
    if (closed) return false;
    closed = true;
    return takeFree();
  }

  private boolean takeFree() {
    if (!closed || running > 0 || freed) return false;
    freed = true;
    return true;
  }
}
