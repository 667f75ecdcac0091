package dev.edgeppo.k8s;

import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.agent.AllocateRequest;
import dev.edgeppo.agent.Allocation;
import java.util.Objects;

/**
 * The DRA driver's way to the agent's policy: {@link AgentCore#allocate}, the very call behind POST
 * /allocate, on the GPU the scheduler allocated, for the pod the claim is reserved for (its UID is
 * {@code pod_uid}, so the pod observer watches that pod).
 */
public final class AgentGrants implements GrantDecider {
  private final AgentCore core;

  public AgentGrants(AgentCore core) { this.core = Objects.requireNonNull(core); }

  @Override
  public Grant decide(ClaimAsk ask) {
    // With the pod's UID the agent observes the pod and records its feedback itself (SPEC §5).
    Allocation a = core.allocate(new AllocateRequest(ask.cores(), ask.memoryMib(), ask.pod(), Integer.toString(ask.gpuIndex()),
        ask.podUid()));
    return new Grant(a.allocationId(), a.cores(), a.memoryMb());
  }

  /**
   * HOOK (observation): the claim is unprepared, so its pod is gone. The pod observer already ends an
   * observation by itself when the pod's GPU processes are gone (SPEC §5's POD_ENDED) and records its
   * feedback; it has no call for "this pod ended" yet, so this is where that call goes when it gets one
   * (it would end the observation at once instead of at the observer's next reading).
   */
  @Override
  public void ended(String allocationId, String podUid) {}
}
