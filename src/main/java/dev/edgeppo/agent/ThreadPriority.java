package dev.edgeppo.agent;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Lowers the scheduling priority of the calling thread only, on Linux, through {@code setpriority(2)} with
 * the thread's own id (on Linux a nice value belongs to a thread, not to the process: {@code PRIO_PROCESS}
 * with a tid changes that one thread).
 *
 * <p>Why: on a 2-core edge node the trainer's update (up to a few ms of Vector API arithmetic) and the HTTP
 * event loop compete for the same cores; at equal priority the scheduler lets an update run its slice while
 * a request waits, which is the /allocate tail (per-thread run-queue wait in /proc/PID/task/TID/schedstat).
 * At nice 10 the trainer still gets every idle cycle, but a request thread that wakes preempts it. Raising
 * one's own nice value needs no privilege; lowering it again would, so this is one-way by design.
 */
public final class ThreadPriority {
  private ThreadPriority() {}

  /**
   * How much nicer than the process the trainer runs: 10 steps is a weight of about 1/10 (110 against 1024
   * at nice 0), so ~10 % of a core when a request thread wants it too. Relative, so that an agent started
   * under `nice` keeps its trainer below its own request threads (and never above them).
   */
  public static final int TRAINER_NICE = 10;

  /**
   * How much nicer than the process the trainer runs in this JVM: {@link #TRAINER_NICE}, or the system
   * property {@code edgeppo.trainer.nice} (0: the process's priority; for before/after benchmarks through
   * EDGEPPO_JAVA_OPTS).
   */
  public static int trainerNice() {
    int n = Integer.getInteger("edgeppo.trainer.nice", TRAINER_NICE);
    if (n < 0 || n > 19) throw new IllegalArgumentException("edgeppo.trainer.nice must be in [0, 19], got " + n);
    return n;
  }

  private static final int PRIO_PROCESS = 0;
  private static final Optional<MethodHandle[]> CALLS = link();

  private static Optional<MethodHandle[]> link() {
    if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) return Optional.empty();
    try {
      Linker linker = Linker.nativeLinker();
      SymbolLookup libc = linker.defaultLookup();
      MethodHandle gettid = linker.downcallHandle(libc.find("gettid").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
      MethodHandle setpriority = linker.downcallHandle(libc.find("setpriority").orElseThrow(),
          FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
      return Optional.of(new MethodHandle[] {gettid, setpriority});
    } catch (RuntimeException e) { // NoSuchElementException, IllegalCallerException
      // No libc symbol or native access refused: the trainer runs at the process's priority, as before.
      return Optional.empty();
    }
  }

  /**
   * Makes the calling thread {@code steps} nicer than it is now (capped at 19); returns whether the kernel
   * accepted it. Never raises the thread's priority, whatever its current nice value.
   */
  public static boolean lowerCurrentThreadBy(int steps) {
    if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, got " + steps);
    int tid = currentTid();
    if (tid < 0) return false;
    java.util.OptionalInt now = niceOf(tid);
    if (now.isEmpty()) return false;
    return setCurrentThreadNice(Math.min(19, now.getAsInt() + steps));
  }

  /** Whether this platform lets a thread set its own nice value (Linux with native access). */
  public static boolean supported() { return CALLS.isPresent(); }

  /** The kernel id of the calling thread, or -1 where unsupported. */
  public static int currentTid() {
    if (CALLS.isEmpty()) return -1;
    try {
      return (int) CALLS.get()[0].invokeExact();
    } catch (Throwable t) {
      return -1;
    }
  }

  /**
   * Sets the calling thread's nice value to {@code nice} (in [-20, 19]); returns whether the kernel accepted
   * it. False where unsupported or refused (e.g. a lower value without CAP_SYS_NICE): the caller carries on.
   */
  public static boolean setCurrentThreadNice(int nice) {
    if (nice < -20 || nice > 19) throw new IllegalArgumentException("nice must be in [-20, 19], got " + nice);
    if (CALLS.isEmpty()) return false;
    try {
      int tid = (int) CALLS.get()[0].invokeExact();
      return (int) CALLS.get()[1].invokeExact(PRIO_PROCESS, tid, nice) == 0;
    } catch (Throwable t) {
      return false;
    }
  }

  /**
   * The nice value of thread {@code tid} as the kernel reports it, read from {@code /proc/self/task/TID/stat}
   * (field 19), independent of the call that set it; empty where there is no such file.
   */
  public static java.util.OptionalInt niceOf(int tid) {
    try {
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/task/" + tid + "/stat"));
      // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
      return java.util.OptionalInt.of(Integer.parseInt(f[16])); // field 19 overall = index 16 after "state"
    } catch (java.io.IOException | RuntimeException e) {
      return java.util.OptionalInt.empty();
    }
  }
}
