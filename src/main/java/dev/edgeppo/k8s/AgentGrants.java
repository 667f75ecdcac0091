package dev.edgeppo.k8s;

import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.agent.AllocateRequest;
import dev.edgeppo.agent.Allocation;
import java.util.Objects;

/**
 * The DRA driver's way to the agent's policy: {@link AgentCore#allocate}, the very call behind POST
 * /allocate, on the GPU the scheduler allocated, for the pod the claim is reserved for.
 */
public final class AgentGrants implements GrantDecider {
  private final AgentCore core;

  public AgentGrants(AgentCore core) { this.core = Objects.requireNonNull(core); }

  @Override
  public Grant decide(ClaimAsk ask) {
    Allocation a = core.allocate(new AllocateRequest(ask.cores(), ask.memoryMib(), ask.pod(), Integer.toString(ask.gpuIndex())));
    return new Grant(a.allocationId(), a.cores(), a.memoryMb());
  }

  /**
   * HOOK (observation): the pod of this allocation is gone. Once the pod observer lands, this ends the
   * allocation's observation so its final feedback is recorded; until then the allocation waits for an
   * external POST /feedback or expires after its TTL.
   */
  @Override
  public void ended(String allocationId, String podUid) {}
}
