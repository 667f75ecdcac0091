package dev.edgeppo.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The loop's schedule, worked out by hand: the period with ±10 % jitter; retries doubling from 1 s to four periods, ±20 %. */
class FleetLoopTest {
  static final Duration MINUTE = Duration.ofSeconds(60);

  @Test
  void aGoodRoundWaitsThePeriodWithinTenPercent() {
    assertEquals(54_000, FleetLoop.nextMillis(MINUTE, 0));
    assertEquals(60_000, FleetLoop.nextMillis(MINUTE, 0.5));
    assertEquals(65_994, FleetLoop.nextMillis(MINUTE, 0.9995));
  }

  @Test
  void failuresBackOffDoublingUpToFourPeriods() {
    long[] want = {1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 240_000, 240_000};
    for (int f = 1; f <= want.length; f++) assertEquals(want[f - 1], FleetLoop.retryMillis(f, MINUTE, 0.5), "failure " + f);
    assertEquals(240_000, FleetLoop.retryMillis(1_000, MINUTE, 0.5), "no overflow after many failures");
    assertEquals(800, FleetLoop.retryMillis(1, MINUTE, 0));
    assertEquals(288_000, FleetLoop.retryMillis(50, MINUTE, 1));
    assertEquals(2_000, FleetLoop.retryMillis(5, Duration.ofMillis(500), 0.5), "a short period caps the backoff at four of it");
  }
}
