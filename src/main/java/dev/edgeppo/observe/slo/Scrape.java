package dev.edgeppo.observe.slo;

import java.util.Objects;

/**
 * One scrape of a pod's metrics endpoint: when it was taken (seconds on any monotonic clock, the same
 * for every scrape of a window) and either the snapshot it read or why it failed.
 */
public record Scrape(double atSeconds, MetricsSnapshot snapshot, String failure) {

  public Scrape {
    if (!Double.isFinite(atSeconds)) throw new IllegalArgumentException("scrape time must be finite");
    if ((snapshot == null) == (failure == null)) throw new IllegalArgumentException("a scrape has a snapshot or a failure, not both");
  }

  public static Scrape ok(double atSeconds, MetricsSnapshot snapshot) {
    return new Scrape(atSeconds, Objects.requireNonNull(snapshot), null);
  }

  /** {@code reason}: a short word for the metric label and /v1/allocations (timeout, too_large, http_503...). */
  public static Scrape failed(double atSeconds, String reason) {
    return new Scrape(atSeconds, null, Objects.requireNonNull(reason));
  }

  public boolean succeeded() { return snapshot != null; }
}
