package dev.edgeppo.agent;

/** No pending allocation has this id: never issued, expired, or lost with a restart (HTTP 404). */
public final class UnknownAllocationException extends AgentException {
  public UnknownAllocationException(String message) { super(message); }
}
