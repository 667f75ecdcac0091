package dev.edgeppo.agent;

/** The answer to /allocate: the grant, the GPU it is on, the state the policy saw and the policy's version. */
public record Allocation(String allocationId, int cores, long memoryMb, int gpuIndex, String gpuUuid, float[] state,
                         long policyVersion) {}
