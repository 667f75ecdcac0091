package dev.edgeppo.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The sampler on a made-up clock: readers get the latest reading without touching the source, never a stale one. */
class SampledTelemetryTest {
  static final long MS = 1_000_000;

  /** A source that counts its reads, answers a reading naming the read, and can be told to fail. */
  static final class Source implements Telemetry {
    final AtomicInteger reads = new AtomicInteger();
    /** The thread that took the first reading. */
    volatile Thread firstReader;
    volatile boolean failing;
    boolean closed;

    @Override public String name() { return "counting"; }

    @Override
    public List<GpuSnapshot> read() {
      int n = reads.incrementAndGet();
      if (n == 1) firstReader = Thread.currentThread();
      if (failing) throw new TelemetryException("Driver Not Loaded");
      return List.of(new GpuSnapshot(0, "GPU-" + n, "test", 50.0, null, 1000L, 100L, 1, null, null, Map.of()));
    }

    @Override public void close() { closed = true; }
  }

  @Test
  void readersGetTheLatestReadingWithoutReadingTheSource() {
    Source src = new Source();
    AtomicLong now = new AtomicLong();
    SampledTelemetry t = SampledTelemetry.manual(src, Duration.ofSeconds(2), now::get);
    t.sample();
    for (int i = 0; i < 100; i++) assertEquals("GPU-1", t.read().getFirst().uuid());
    assertEquals(1, src.reads.get(), "reads come from the sample, not the source");
    now.addAndGet(300 * MS);
    t.sample();
    assertEquals("GPU-2", t.read().getFirst().uuid());
    assertEquals(0.0, t.ageSeconds(), 1e-12);
    now.addAndGet(1500 * MS);
    assertEquals(1.5, t.ageSeconds(), 1e-12);
    assertEquals(2, t.samples());
  }

  @Test
  void aReadingOlderThanTheLimitIsRefusedAndAFreshOneServesAgain() {
    Source src = new Source();
    AtomicLong now = new AtomicLong();
    SampledTelemetry t = SampledTelemetry.manual(src, Duration.ofSeconds(2), now::get);
    t.sample();
    now.addAndGet(2000 * MS);
    assertEquals("GPU-1", t.read().getFirst().uuid(), "exactly at the limit still serves");
    now.addAndGet(1 * MS);
    StaleTelemetryException e = assertThrows(StaleTelemetryException.class, t::read);
    assertTrue(e.getMessage().contains("2001 ms old (limit 2000 ms)"), e.getMessage());
    t.sample();
    assertEquals("GPU-2", t.read().getFirst().uuid());
  }

  @Test
  void aFailingSourceKeepsThePreviousReadingUntilItAgesOutAndIsNamedThen() {
    Source src = new Source();
    AtomicLong now = new AtomicLong();
    SampledTelemetry t = SampledTelemetry.manual(src, Duration.ofSeconds(2), now::get);
    t.sample();
    src.failing = true;
    now.addAndGet(1000 * MS);
    t.sample();
    assertEquals("GPU-1", t.read().getFirst().uuid(), "a failed sample keeps the last good reading");
    assertEquals(1, t.failures());
    now.addAndGet(1500 * MS);
    t.sample();
    StaleTelemetryException e = assertThrows(StaleTelemetryException.class, t::read);
    assertTrue(e.getMessage().contains("2500 ms old") && e.getMessage().contains("Driver Not Loaded"), e.getMessage());
    assertEquals(2, t.failures());
  }

  @Test
  void withoutAnyReadingTheSourcesErrorIsTheAnswer() {
    Source src = new Source();
    src.failing = true;
    SampledTelemetry t = SampledTelemetry.manual(src, Duration.ofSeconds(2), () -> 0L);
    assertThrows(StaleTelemetryException.class, t::read, "no sample taken yet");
    t.sample();
    StaleTelemetryException e = assertThrows(StaleTelemetryException.class, t::read);
    assertTrue(e.getMessage().contains("no reading yet: Driver Not Loaded"), e.getMessage());
  }

  @Test
  void theThreadedSamplerSamplesAtItsPeriodAndClosesTheSource() throws Exception {
    Source src = new Source();
    SampledTelemetry t = SampledTelemetry.start(src, Duration.ofMillis(10), Duration.ofSeconds(60));
    // The first reading is taken by start itself (the sampler's own thread may have read again since).
    assertSame(Thread.currentThread(), src.firstReader, "the first reading is taken at start, on the caller's thread");
    long deadline = System.nanoTime() + 30_000 * MS;
    while (src.reads.get() < 4 && System.nanoTime() < deadline) Thread.sleep(5);
    assertTrue(src.reads.get() >= 4, "sampled " + src.reads.get() + " times");
    t.close();
    assertTrue(src.closed);
    int after = src.reads.get();
    Thread.sleep(50);
    assertEquals(after, src.reads.get(), "no sample after close");
    assertSame("counting", t.name());
  }

  @Test
  void refusesANonPositiveLimit() {
    assertThrows(IllegalArgumentException.class, () -> SampledTelemetry.manual(new Source(), Duration.ZERO, () -> 0L));
  }
}
