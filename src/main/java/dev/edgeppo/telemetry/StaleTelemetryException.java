package dev.edgeppo.telemetry;

/** The sampled reading is missing or older than its limit: refuse, and try again shortly (HTTP 503). */
public final class StaleTelemetryException extends TelemetryException {
  public StaleTelemetryException(String message, Throwable cause) { super(message, cause); }
}
