package dev.edgeppo.agent;

import dev.edgeppo.observe.PodCgroup;
import dev.edgeppo.observe.slo.MetricsEndpoint;

/**
 * What an admission webhook or the DRA driver asks for (SPEC §4 /allocate).
 *
 * @param cores    requested SM cores in percent, 1..100
 * @param memoryMb requested GPU memory in MB, > 0
 * @param pod      "namespace/name" for logs, may be null
 * @param gpu      GPU index or UUID, null to let the agent choose (most free memory)
 * @param podUid   the pod's UID (metadata.uid), may be null; with it the agent observes the pod and reports
 *                 its own feedback (SPEC §5)
 * @param slo      the pod's metrics endpoint and declared objective (SPEC §4 {@code slo}), may be null; needs
 *                 {@code podUid}: the pod's service level decides {@code qos_met}, NVML still gives its usage
 */
public record AllocateRequest(int cores, long memoryMb, String pod, String gpu, String podUid, MetricsEndpoint slo) {

  /** A request without a declared service level. */
  public AllocateRequest(int cores, long memoryMb, String pod, String gpu, String podUid) { this(cores, memoryMb, pod, gpu, podUid, null); }

  public static final int MAX_POD_NAME = 512;

  /** A request that does not name its pod's UID: nobody observes it, its feedback must come by POST /feedback. */
  public AllocateRequest(int cores, long memoryMb, String pod, String gpu) { this(cores, memoryMb, pod, gpu, null, null); }

  /** Throws {@link BadInputException} naming the first field out of range. */
  public void validate() {
    if (cores < 1 || cores > 100) throw new BadInputException("cores must be in 1..100, got " + cores);
    if (memoryMb <= 0) throw new BadInputException("memory must be > 0 MB, got " + memoryMb);
    if (pod != null && pod.length() > MAX_POD_NAME) throw new BadInputException("pod must be at most " + MAX_POD_NAME + " characters");
    if (gpu != null && gpu.isBlank()) throw new BadInputException("gpu must be an index or a UUID, got an empty string");
    if (podUid != null && !PodCgroup.isUid(podUid))
      throw new BadInputException("pod_uid must be the pod's metadata.uid (a UUID such as 3e5f6a1c-1b2c-4d3e-8f90-0123456789ab)");
    if (slo != null && podUid == null)
      throw new BadInputException("slo needs pod_uid: the agent observes the pod (its GPU usage from NVML) and judges its service level together");
  }
}
