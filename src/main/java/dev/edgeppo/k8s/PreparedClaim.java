package dev.edgeppo.k8s;

/**
 * A claim this node prepared, as the durable map keeps it: enough to answer the kubelet's retry with the
 * same devices, and to end the allocation when the claim is unprepared, after a restart too.
 *
 * @param allocationId the agent's allocation, or null when the grant is the ask because the decision failed
 * @param decidedBy    "policy" or why the ask was granted as is
 */
public record PreparedClaim(String uid, String namespace, String name, String podUid, String pool, String device,
                            String request, String shareId, int gpuIndex, String allocationId, int cores, long memoryMib,
                            int askedCores, long askedMemoryMib, String decidedBy) {}
