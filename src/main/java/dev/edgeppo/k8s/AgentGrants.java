package dev.edgeppo.k8s;

import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.agent.AllocateRequest;
import dev.edgeppo.agent.Allocation;
import dev.edgeppo.observe.PodObserver;
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
        ask.podUid(), ask.podUid() == null ? null : ask.slo()));
    return new Grant(a.allocationId(), a.cores(), a.memoryMb());
  }

  /**
   * The claim is unprepared, so its pod is gone (the kubelet is the authority): the pod observer judges the
   * allocation's observation now and records its final feedback (done), or, when the pod never showed a GPU
   * process, stops observing it with that reason and no feedback (SPEC §5).
   */
  @Override
  public void ended(String allocationId, String podUid) {
    PodObserver o = core.observer();
    if (o != null) o.podEnded(allocationId);
  }
}
