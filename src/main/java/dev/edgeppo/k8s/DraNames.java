package dev.edgeppo.k8s;

/**
 * The names this DRA driver is known by, in one place: the cluster's objects (DeviceClass selectors,
 * ResourceSlices, claims' opaque configuration) and the CDI specs use exactly these.
 *
 * <p>What a cluster writes to use the driver (the manifests in {@code deploy/} must match):
 * <ul>
 *   <li>DeviceClass: {@code spec.selectors: [{cel: {expression: 'device.driver == "gpu.edgeppo.dev"'}}]}.
 *   <li>ResourceClaimTemplate with consumable capacity (the default mode): {@code spec.spec.devices.requests:
 *       [{name: gpu, exactly: {deviceClassName: <that class>, capacity: {requests: {cores: "40", memory: 4Gi}}}}]}.
 *       {@code cores} is a percentage of the GPU's SMs (1..100), {@code memory} a quantity of GPU memory.
 *   <li>Slots mode ({@code --dra-slots-per-gpu K > 0}, for clusters without consumable capacity): the request
 *       asks for one slot device and says how much through the claim's opaque configuration:
 *       {@code spec.spec.devices.config: [{requests: [gpu], opaque: {driver: gpu.edgeppo.dev,
 *       parameters: {cores: 40, memory: 4096}}}]}, memory in MiB (or a quantity string such as "4Gi").
 *   <li>Pod: {@code spec.resourceClaims: [{name: gpu, resourceClaimTemplateName: <template>}]} and, in the
 *       container, {@code resources.claims: [{name: gpu}]}.
 * </ul>
 * Published devices carry the attributes {@code uuid}, {@code productName}, {@code index} (and {@code slot} in
 * slots mode), so a selector may also say e.g. {@code device.attributes["gpu.edgeppo.dev"].productName}.
 */
public final class DraNames {
  private DraNames() {}

  /** The driver's name: ResourceSlices, allocation results, opaque config and the kubelet registration. */
  public static final String DRIVER = "gpu.edgeppo.dev";
  /** The service version the kubelet must see in GetInfo to register a DRA plugin (Kubernetes >= 1.34). */
  public static final String PLUGIN_TYPE = "DRAPlugin";
  public static final String SERVICE_VERSION = "v1.DRAPlugin";
  /** Socket names: the DRA service in the plugin dir, the registration in the kubelet's registry dir. */
  public static final String DRA_SOCKET = "dra.sock";
  public static final String REGISTRATION_SOCKET = DRIVER + "-reg.sock";

  /** Capacity names of a shared GPU device (SPEC §5). */
  public static final String CORES = "cores";
  public static final String MEMORY = "memory";
  public static final int CORES_PER_GPU = 100;

  /** Device attributes. */
  public static final String ATTR_UUID = "uuid";
  public static final String ATTR_PRODUCT = "productName";
  public static final String ATTR_INDEX = "index";
  public static final String ATTR_SLOT = "slot";

  /** Our CDI kind (vendor/class): one CDI device per prepared claim, carrying the grant as env limits. */
  public static final String CDI_VENDOR = "edgeppo.dev";
  public static final String CDI_CLASS = "gpu-share";
  public static final String CDI_KIND = CDI_VENDOR + "/" + CDI_CLASS;
  /**
   * The NVIDIA Container Toolkit's CDI kind ({@code nvidia-ctk cdi generate}). Its default device-name
   * strategy names GPUs by index (NVML's, the same the agent reads), so {@code nvidia.com/gpu=<index>} resolves
   * on a node set up the default way; a UUID name would need {@code --device-name-strategy=uuid}.
   */
  public static final String NVIDIA_CDI_KIND = "nvidia.com/gpu";
}
