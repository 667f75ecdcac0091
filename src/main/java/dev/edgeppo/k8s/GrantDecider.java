package dev.edgeppo.k8s;

/**
 * How the DRA driver reaches the agent's policy: one call, so the driver can be tested with a fixed
 * policy and served by {@code AgentCore.allocate} (the same decision POST /allocate makes) in {@code serve}.
 */
public interface GrantDecider {
  /** The agent's answer; the driver caps it at the ask whatever it says. */
  record Grant(String allocationId, int cores, long memoryMib) {}

  /** Decides the share of GPU {@code ask.gpuIndex()} for the pod in {@code ask}; throws when it cannot. */
  Grant decide(ClaimAsk ask);

  /**
   * The claim is unprepared: its pod is gone. Ends the allocation's observation so that its final feedback
   * is recorded. Called at most once per prepared claim in normal operation, but again after a crash between
   * this call and the claim map's update: implementations ignore an allocation already ended or unknown.
   */
  default void ended(String allocationId, String podUid) {}
}
