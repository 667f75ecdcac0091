package dev.edgeppo.k8s;

/**
 * What one claim asks of this node, read from the API server: the device allocated to it and how much of
 * it the claim reserved. The grant is never above {@code cores} / {@code memoryMib}.
 *
 * @param podUid    UID of the pod in {@code status.reservedFor} (the pod the agent observes), null if none
 * @param pod       "namespace/name" of that pod, for logs and the allocation, null if none
 * @param request   the claim's request name the device was allocated for
 * @param shareId   set when the device was allocated as one share of several (consumable capacity)
 * @param source    where the ask came from: "capacity", "config" or "whole device"
 * @param slo       the pod's declared service level (its annotations, SPEC §5), null if none
 */
public record ClaimAsk(String namespace, String name, String uid, String podUid, String pod, String pool, String device,
                       int gpuIndex, String request, String shareId, int cores, long memoryMib, String source,
                       dev.edgeppo.observe.slo.MetricsEndpoint slo) {

  /** An ask whose pod declares no service level (or was not looked at). */
  public ClaimAsk(String namespace, String name, String uid, String podUid, String pod, String pool, String device,
                  int gpuIndex, String request, String shareId, int cores, long memoryMib, String source) {
    this(namespace, name, uid, podUid, pod, pool, device, gpuIndex, request, shareId, cores, memoryMib, source, null);
  }

  /** This ask with the pod's declared service level. */
  public ClaimAsk withSlo(dev.edgeppo.observe.slo.MetricsEndpoint s) {
    return new ClaimAsk(namespace, name, uid, podUid, pod, pool, device, gpuIndex, request, shareId, cores, memoryMib, source, s);
  }
}
