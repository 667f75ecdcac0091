package dev.edgeppo.cli;

/**
 * SIGTERM and SIGINT handlers that run a graceful stop and exit 0. A JVM shutdown hook cannot do this:
 * after hooks the JVM exits with 143, which Kubernetes reports as an error.
 */
final class Signals {
  private Signals() {}

  @SuppressWarnings("removal")
  static void onTermination(Runnable action) {
    java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
    sun.misc.SignalHandler h = sig -> {
      if (once.compareAndSet(false, true)) Thread.ofPlatform().name("edgeppo-stop").start(action);
    };
    sun.misc.Signal.handle(new sun.misc.Signal("TERM"), h);
    sun.misc.Signal.handle(new sun.misc.Signal("INT"), h);
  }
}
