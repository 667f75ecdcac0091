package dev.edgeppo.telemetry;

/** A telemetry source failed; the message is the source's own words (NVML's error string for NVML). */
public class TelemetryException extends RuntimeException {
  public TelemetryException(String message) { super(message); }
  public TelemetryException(String message, Throwable cause) { super(message, cause); }
}
