package dev.edgeppo.agent;

/** A request the agent refuses; the subtype says why (the HTTP layer maps each to its status). Nothing was changed. */
public abstract sealed class AgentException extends RuntimeException
    permits BadInputException, UnknownAllocationException, DuplicateFeedbackException {
  protected AgentException(String message) { super(message, null, false, false); }
}
