package dev.edgeppo.agent;

/** This allocation already had its feedback (HTTP 409). */
public final class DuplicateFeedbackException extends AgentException {
  public DuplicateFeedbackException(String message) { super(message); }
}
