package dev.edgeppo.cuda;

import java.util.List;

/**
 * Frees several native resources so that one failing free does not leak the rest: every step runs, and
 * the first failure is thrown afterwards with the others attached as suppressed.
 */
final class Release {
  private Release() {}

  /** One free; may throw. */
  interface Step {
    void run() throws Exception;
  }

  static void all(String what, List<Step> steps) {
    KernelException failure = null;
    for (Step s : steps) {
      try {
        s.run();
      } catch (Exception | Error e) {
        if (failure == null) failure = new KernelException(what + ": " + e.getMessage(), e);
        else failure.addSuppressed(e);
      }
    }
    if (failure != null) throw failure;
  }
}
