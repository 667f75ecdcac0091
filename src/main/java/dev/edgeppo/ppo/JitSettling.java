package dev.edgeppo.ppo;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * Tells when repeated calls of the same code have stopped getting faster because the JIT is done with
 * them: a wall-clock warm-up window is wrong on a loaded machine (the compiler threads get less CPU, so
 * the code is still interpreted when the window closes). Fed one duration per call, it looks at windows
 * of at least {@code window} calls and {@code minWindowNanos} of their time, and calls the code settled
 * after {@code stableWindows} windows in a row in which the JIT finished no compilation (the JVM's total
 * compilation time, {@link CompilationMXBean}, did not grow) and the median call stayed within
 * {@code tolerance} of the previous window's.
 *
 * <p>The time floor matters: compilation time grows only when a compilation ends, and a C2 compilation of
 * the update takes tens of milliseconds of CPU, more on a loaded machine; a window shorter than that could
 * look quiet while one is still running. Compilation time is process-wide, so unrelated compilations delay
 * the verdict; callers bound the warm-up by a number of calls as well. Where the JVM does not monitor
 * compilation time only the median criterion applies.
 */
public final class JitSettling {
  public static final int DEFAULT_WINDOW = 20;
  public static final long DEFAULT_MIN_WINDOW_NANOS = 50_000_000L;
  public static final int DEFAULT_STABLE_WINDOWS = 2;
  public static final double DEFAULT_TOLERANCE = 0.25;

  private final LongSupplier compileMillis;
  private final int window, stableWindowsNeeded;
  private final long minWindowNanos;
  private final double tolerance;
  private long[] current;
  private int filled, stableWindows, windows;
  private long windowNanos, compileMillisAtStart;
  private double previousMedian = Double.NaN;
  private boolean settled;

  /** Windows of 20 calls and 50 ms at least, two quiet ones in a row, medians within 25 %. */
  public JitSettling() {
    this(DEFAULT_WINDOW, DEFAULT_MIN_WINDOW_NANOS, DEFAULT_STABLE_WINDOWS, DEFAULT_TOLERANCE, jvmCompileMillis());
  }

  /** @param compileMillis the JIT's accumulated time, ms; null: not monitored (the median criterion alone) */
  JitSettling(int window, long minWindowNanos, int stableWindows, double tolerance, LongSupplier compileMillis) {
    if (window < 3 || minWindowNanos < 0 || stableWindows < 1 || !(tolerance > 0))
      throw new IllegalArgumentException("window >= 3, minWindowNanos >= 0, stableWindows >= 1, tolerance > 0");
    this.compileMillis = compileMillis;
    this.window = window;
    this.minWindowNanos = minWindowNanos;
    this.stableWindowsNeeded = stableWindows;
    this.tolerance = tolerance;
    this.current = new long[window];
    this.compileMillisAtStart = compileMillis();
  }

  /** Records one call's duration; true once the code has settled (and from then on). */
  public boolean record(long nanos) {
    if (settled) return true;
    if (filled == current.length) current = Arrays.copyOf(current, 2 * current.length);
    current[filled++] = nanos;
    windowNanos += nanos;
    if (filled < window || windowNanos < minWindowNanos) return false;
    long[] sorted = Arrays.copyOf(current, filled);
    Arrays.sort(sorted);
    double median = sorted[filled / 2];
    filled = 0;
    windowNanos = 0;
    windows++;
    long compileNow = compileMillis();
    boolean quiet = compileMillis == null || compileNow == compileMillisAtStart;
    boolean steady = !Double.isNaN(previousMedian) && Math.abs(median - previousMedian) <= tolerance * previousMedian;
    stableWindows = quiet && steady ? stableWindows + 1 : 0;
    previousMedian = median;
    compileMillisAtStart = compileNow;
    settled = stableWindows >= stableWindowsNeeded;
    return settled;
  }

  public boolean settled() { return settled; }

  /** Median call time of the last complete window, µs (NaN before one completed). */
  public double lastMedianMicros() { return previousMedian / 1e3; }

  /** Complete windows seen so far. */
  public int windows() { return windows; }

  /** The JIT's accumulated time, ms (0 where not monitored). */
  public long compileMillis() { return compileMillis == null ? 0 : compileMillis.getAsLong(); }

  private static LongSupplier jvmCompileMillis() {
    CompilationMXBean c = ManagementFactory.getCompilationMXBean();
    return c != null && c.isCompilationTimeMonitoringSupported() ? c::getTotalCompilationTime : null;
  }
}
