package dev.edgeppo.sim;

import dev.edgeppo.telemetry.Telemetry;

/**
 * Something that decides grants on the simulated node and is told how each pod did. PPO answers through
 * the agent core; the baselines answer directly. Every implementation scores feedback with SPEC §1's
 * {@link dev.edgeppo.agent.Reward}.
 */
public interface AllocationPolicy extends AutoCloseable {
  /** The name in the JSON report, the CSV header and the plot legend. */
  String name();

  /**
   * @param evaluation the pod belongs to the evaluation stretch (PPO answers with its mean action there
   *                   and stops learning)
   */
  Grant allocate(SimPod pod, Telemetry node, boolean evaluation);

  /** The reward of one allocation, given SPEC §4's feedback fields. */
  double feedback(Grant grant, double actualUsage, boolean qosMet, int pods, boolean done);

  /** What was granted; {@code token} lets the policy find its own record of the allocation. */
  record Grant(int cores, long memoryMb, Object token) {}

  @Override
  default void close() {}
}
