package dev.edgeppo.k8s;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The environment that holds a pod's containers to their grant (SPEC §5), in one place for every path
 * that sets it (the DRA driver's CDI spec, the webhook's patch):
 * <ul>
 *   <li>NVIDIA MPS: {@code CUDA_MPS_ACTIVE_THREAD_PERCENTAGE} = cores (percent of the SMs a client may use) and
 *       {@code CUDA_MPS_PINNED_DEVICE_MEM_LIMIT} = {@code 0=<MiB>M}: NVIDIA's documented form is a comma-separated
 *       list of {@code <device>=<limit>} with a unit suffix (their examples: {@code 0=1G}, {@code 0=512M}; "M" is
 *       MiB, as NVIDIA's own DRA driver writes it). The device is the CUDA ordinal the client sees: the container
 *       is given one GPU, so 0.
 *   <li>HAMi-core (libvgpu.so, on nodes that preload it): {@code CUDA_DEVICE_SM_LIMIT} = cores and
 *       {@code CUDA_DEVICE_MEMORY_LIMIT_0} = {@code <MiB>m}.
 * </ul>
 */
public final class ShareLimits {
  private ShareLimits() {}

  public static final String MPS_THREADS = "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE";
  public static final String MPS_MEMORY = "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT";
  public static final String HAMI_SM = "CUDA_DEVICE_SM_LIMIT";
  public static final String HAMI_MEMORY = "CUDA_DEVICE_MEMORY_LIMIT_0";

  /** Variable → value, in a fixed order. */
  public static Map<String, String> env(int cores, long memoryMib) {
    if (cores < 1 || cores > DraNames.CORES_PER_GPU) throw new IllegalArgumentException("cores must be in 1..100, got " + cores);
    if (memoryMib < 1) throw new IllegalArgumentException("memory must be >= 1 MiB, got " + memoryMib);
    Map<String, String> env = new LinkedHashMap<>();
    env.put(MPS_THREADS, Integer.toString(cores));
    env.put(MPS_MEMORY, "0=" + memoryMib + "M");
    env.put(HAMI_SM, Integer.toString(cores));
    env.put(HAMI_MEMORY, memoryMib + "m");
    return env;
  }
}
