package dev.edgeppo.observe.slo;

/** A scrape's body is not the Prometheus text format or OpenMetrics; the message names the line. */
public final class MalformedMetricsException extends Exception {
  public MalformedMetricsException(String message) { super(message); }
}
