package dev.edgeppo.k8s;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The environment variables that carry a grant into a pod's containers (SPEC §5), in one place for every
 * path that sets them (the webhook's JSONPatch, the DRA driver's CDI spec).
 *
 * <ul>
 *   <li>NVIDIA MPS: {@code CUDA_MPS_ACTIVE_THREAD_PERCENTAGE} = cores, {@code CUDA_MPS_PINNED_DEVICE_MEM_LIMIT} =
 *       {@code <device>=<MB>M} (the environment-variable appendix of NVIDIA's MPS documentation: a
 *       comma-separated list of {@code device=limit}, the device as the client enumerates it).</li>
 *   <li>HAMi-core (for nodes that preload it): {@code CUDA_DEVICE_SM_LIMIT} = cores and
 *       {@code CUDA_DEVICE_MEMORY_LIMIT_<device>} = {@code <MB>m}.</li>
 * </ul>
 * The device is the ordinal inside the container: a container that is given one GPU sees it as 0.
 */
public final class LimitEnv {
  public static final String MPS_THREADS = "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE";
  public static final String MPS_MEMORY = "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT";
  public static final String HAMI_SM = "CUDA_DEVICE_SM_LIMIT";
  public static final String HAMI_MEMORY_PREFIX = "CUDA_DEVICE_MEMORY_LIMIT_";

  private LimitEnv() {}

  /** The variables for a grant of {@code cores} % and {@code memoryMb} MB on the container's device {@code device}. */
  public static Map<String, String> of(int cores, long memoryMb, int device) {
    if (cores < 1 || cores > 100) throw new IllegalArgumentException("cores must be 1..100, got " + cores);
    if (memoryMb < 1) throw new IllegalArgumentException("memory must be > 0 MB, got " + memoryMb);
    if (device < 0) throw new IllegalArgumentException("device ordinal must be >= 0, got " + device);
    Map<String, String> env = new LinkedHashMap<>();
    env.put(MPS_THREADS, Integer.toString(cores));
    env.put(MPS_MEMORY, device + "=" + memoryMb + "M");
    env.put(HAMI_SM, Integer.toString(cores));
    env.put(HAMI_MEMORY_PREFIX + device, memoryMb + "m");
    return env;
  }
}
