package dev.edgeppo.agent;

/** A field is missing, of the wrong kind or out of range (HTTP 400). */
public final class BadInputException extends AgentException {
  public BadInputException(String message) { super(message); }
}
