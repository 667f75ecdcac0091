package dev.edgeppo.telemetry;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Telemetry off the request path: one background thread reads the source (NVML) every {@code period}, and
 * {@link #read()} returns the latest reading without waiting. A real driver answers each NVML query through
 * an ioctl (tens of µs to a millisecond; process lists and per-process samples are the slow ones), and a
 * full reading of one GPU makes about 22 of them: on every /allocate that is the request's latency, on a
 * sampler it is nobody's.
 *
 * <p>Staleness is bounded: a reading older than {@code maxAge} (the sampler stuck in a hung driver call,
 * or failing) is refused with {@link StaleTelemetryException}, which the HTTP API answers 503 (retryable),
 * rather than an allocation decided on an old picture of the GPU. A failed sample keeps the previous
 * reading until it ages out; the failure is remembered and named in the refusal.
 */
public final class SampledTelemetry implements Telemetry {
  public static final Duration DEFAULT_PERIOD = Duration.ofMillis(250);
  /** Eight periods: a few missed or slow samples pass, a stuck sampler does not. */
  public static final Duration DEFAULT_MAX_AGE = Duration.ofSeconds(2);

  /** One sample: the reading (null when none succeeded yet), when it was taken, the last failure since. */
  private record Sample(List<GpuSnapshot> gpus, long takenNanos, TelemetryException lastError) {}

  private final Telemetry source;
  private final long maxAgeNanos;
  private final LongSupplier clock;
  private final ScheduledExecutorService thread;
  private final AtomicLong samples = new AtomicLong(), failures = new AtomicLong();
  private volatile long lastSampleNanos = -1;
  private volatile Sample latest;

  /**
   * Takes a first reading now (so that the agent starts with one, or with the reason it has none) and then
   * one every {@code period} on a daemon thread.
   */
  public static SampledTelemetry start(Telemetry source, Duration period, Duration maxAge) {
    SampledTelemetry t = new SampledTelemetry(source, maxAge, System::nanoTime, true);
    t.sample();
    t.thread.scheduleWithFixedDelay(t::sample, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
    return t;
  }

  /** Without a thread, on a given clock: {@link #sample()} is called by the test. */
  static SampledTelemetry manual(Telemetry source, Duration maxAge, LongSupplier clock) {
    return new SampledTelemetry(source, maxAge, clock, false);
  }

  private SampledTelemetry(Telemetry source, Duration maxAge, LongSupplier clock, boolean threaded) {
    this.source = Objects.requireNonNull(source);
    if (maxAge.isNegative() || maxAge.isZero()) throw new IllegalArgumentException("max age must be positive, got " + maxAge);
    this.maxAgeNanos = maxAge.toNanos();
    this.clock = clock;
    this.latest = new Sample(null, clock.getAsLong(), new TelemetryException("no reading yet"));
    this.thread = threaded ? Executors.newSingleThreadScheduledExecutor(r -> {
      Thread th = new Thread(r, "edgeppo-telemetry-sampler");
      th.setDaemon(true);
      return th;
    }) : null;
  }

  /** One reading of the source; what the sampler thread runs. Never throws. */
  void sample() {
    long t0 = clock.getAsLong();
    try {
      List<GpuSnapshot> gpus = List.copyOf(source.read());
      latest = new Sample(gpus, clock.getAsLong(), null);
    } catch (TelemetryException e) {
      failures.incrementAndGet();
      latest = new Sample(latest.gpus(), latest.takenNanos(), e);
    } catch (RuntimeException e) {
      failures.incrementAndGet();
      latest = new Sample(latest.gpus(), latest.takenNanos(), new TelemetryException(e.toString(), e));
    }
    samples.incrementAndGet();
    lastSampleNanos = clock.getAsLong() - t0;
  }

  @Override
  public String name() { return source.name(); }

  @Override
  public String describe() { return source.describe(); }

  /** A volatile read and a clock read: the sampler thread alone calls the source. */
  @Override
  public boolean readsWithoutWaiting() { return true; }

  /** The latest reading, without waiting; refused when none succeeded or it is older than the limit. */
  @Override
  public List<GpuSnapshot> read() {
    Sample s = latest;
    long age = clock.getAsLong() - s.takenNanos();
    if (s.gpus() == null)
      throw new StaleTelemetryException("no reading yet: " + s.lastError().getMessage(), s.lastError());
    if (age > maxAgeNanos)
      throw new StaleTelemetryException("the last reading is " + age / 1_000_000 + " ms old (limit " + maxAgeNanos / 1_000_000
          + " ms)" + (s.lastError() == null ? "" : "; the source fails: " + s.lastError().getMessage()), s.lastError());
    return s.gpus();
  }

  /** Age of the latest successful reading, seconds (since start when there is none). */
  public double ageSeconds() { return (clock.getAsLong() - latest.takenNanos()) / 1e9; }

  /** Samples taken and those that failed, since start. */
  public long samples() { return samples.get(); }
  public long failures() { return failures.get(); }

  /** Wall time of the last sample (what one full reading of every GPU costs), seconds; -1 before one. */
  public double lastSampleSeconds() { long n = lastSampleNanos; return n < 0 ? -1 : n / 1e9; }

  public Duration maxAge() { return Duration.ofNanos(maxAgeNanos); }

  /** Stops the sampler, then closes the source. */
  @Override
  public void close() {
    if (thread != null) {
      thread.shutdownNow();
      try {
        thread.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    source.close();
  }
}
