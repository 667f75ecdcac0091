package dev.edgeppo.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.json.Json;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.AllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAllocationConfiguration;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceRequestAllocationResult;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimConsumerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Reads a claim the kubelet names and turns it into a {@link ClaimAsk}, or a {@link ClaimException} saying
 * what is wrong with it. The ask is, in this order: the capacity the scheduler booked for our device
 * ({@code consumedCapacity}, consumable-capacity mode); else the claim's opaque configuration for our driver
 * ({@code {"cores": …, "memory": …}}, slots mode); else the whole device. When both capacity and config are
 * there, the config may ask for less than was booked, never more.
 */
public final class ClaimReader {
  private static final ObjectMapper JSON = Json.MAPPER;
  private static final BigDecimal MIB = BigDecimal.valueOf(1L << 20);

  private final KubernetesClient client;
  private final String nodeName;
  private final PodServiceLevels serviceLevels;

  /** @param nodeName this node: our devices are allocated from the pool of that name */
  public ClaimReader(KubernetesClient client, String nodeName) {
    this.client = Objects.requireNonNull(client);
    this.nodeName = Objects.requireNonNull(nodeName);
    this.serviceLevels = new PodServiceLevels(client);
  }

  /**
   * @param gpuMemoryMib total MiB of a GPU by index, or null when telemetry cannot say (then "over the GPU"
   *                     is checked against 100 cores only)
   */
  public ClaimAsk read(String namespace, String name, String uid, java.util.function.IntFunction<Long> gpuMemoryMib) {
    ResourceClaim claim = client.dynamicResourceAllocation().v1().resourceClaims().inNamespace(namespace).withName(name).get();
    if (claim == null) throw new ClaimException("no ResourceClaim " + namespace + "/" + name);
    ClaimAsk ask = parse(claim, uid, gpuMemoryMib);
    if (ask.podUid() == null || ask.pod() == null) return ask;
    // The pod's own service level, from its annotations (SPEC §5); none, malformed or unreadable: the NVML rules judge it.
    String podName = ask.pod().substring(ask.pod().indexOf('/') + 1);
    return ask.withSlo(serviceLevels.of(ask.namespace(), podName, ask.podUid()));
  }

  ClaimAsk parse(ResourceClaim claim, String uid, java.util.function.IntFunction<Long> gpuMemoryMib) {
    String namespace = claim.getMetadata().getNamespace(), name = claim.getMetadata().getName();
    String id = namespace + "/" + name;
    if (uid != null && !uid.isEmpty() && !uid.equals(claim.getMetadata().getUid()))
      throw new ClaimException("ResourceClaim " + id + " has uid " + claim.getMetadata().getUid() + ", the kubelet asked for " + uid
          + " (deleted and created again?)");
    AllocationResult alloc = claim.getStatus() == null ? null : claim.getStatus().getAllocation();
    if (alloc == null || alloc.getDevices() == null || alloc.getDevices().getResults() == null || alloc.getDevices().getResults().isEmpty())
      throw new ClaimException("ResourceClaim " + id + " is not allocated");
    List<DeviceRequestAllocationResult> all = alloc.getDevices().getResults();
    List<DeviceRequestAllocationResult> ours = all.stream().filter(r -> DraNames.DRIVER.equals(r.getDriver())).toList();
    if (ours.isEmpty())
      throw new ClaimException("ResourceClaim " + id + " has no device of driver " + DraNames.DRIVER + "; its devices are of "
          + all.stream().map(DeviceRequestAllocationResult::getDriver).distinct().collect(Collectors.joining(", ")));
    // One share per claim: the limits travel as one set of environment variables, and CUDA sees the one GPU as device 0.
    if (ours.size() > 1)
      throw new ClaimException("ResourceClaim " + id + " holds " + ours.size() + " devices of " + DraNames.DRIVER
          + "; ask for one GPU share per claim (one claim per GPU)");
    DeviceRequestAllocationResult r = ours.getFirst();
    if (!nodeName.equals(r.getPool()))
      throw new ClaimException("ResourceClaim " + id + " was allocated from pool " + r.getPool() + ", not this node's (" + nodeName + ")");
    GpuDevices.Ref ref = GpuDevices.parse(r.getDevice());
    if (ref == null) throw new ClaimException("ResourceClaim " + id + ": device " + r.getDevice() + " is not one this driver publishes");
    Long total = gpuMemoryMib.apply(ref.gpuIndex());

    Integer cores = null;
    Long memory = null;
    String source = "whole device";
    Map<String, Quantity> booked = r.getConsumedCapacity();
    if (booked != null && !booked.isEmpty()) {
      source = "capacity";
      if (booked.get(DraNames.CORES) != null) cores = cores(booked.get(DraNames.CORES), id);
      if (booked.get(DraNames.MEMORY) != null) memory = mib(booked.get(DraNames.MEMORY));
    }
    JsonNode config = config(alloc.getDevices().getConfig(), r.getRequest(), id);
    if (config != null) {
      Integer c = config.has(DraNames.CORES) ? configCores(config.get(DraNames.CORES), id) : null;
      Long m = config.has(DraNames.MEMORY) ? configMemory(config.get(DraNames.MEMORY), id) : null;
      if (cores != null && c != null && c > cores)
        throw new ClaimException("ResourceClaim " + id + ": config asks " + c + " cores, above the " + cores + " booked");
      if (memory != null && m != null && m > memory)
        throw new ClaimException("ResourceClaim " + id + ": config asks " + m + " MiB, above the " + memory + " MiB booked");
      if (c != null) cores = c;
      if (m != null) memory = m;
      source = "config";
    }
    if (cores == null) cores = DraNames.CORES_PER_GPU;
    if (memory == null) {
      if (total == null) throw new ClaimException("ResourceClaim " + id + " names no memory and GPU " + ref.gpuIndex() + "'s total is unknown");
      memory = total;
    }
    if (cores < 1) throw new ClaimException("ResourceClaim " + id + " asks " + cores + " cores; at least 1");
    if (memory < 1) throw new ClaimException("ResourceClaim " + id + " asks " + memory + " MiB; at least 1");
    if (cores > DraNames.CORES_PER_GPU)
      throw new ClaimException("ResourceClaim " + id + " asks " + cores + " cores, over the GPU's " + DraNames.CORES_PER_GPU);
    if (total != null && memory > total)
      throw new ClaimException("ResourceClaim " + id + " asks " + memory + " MiB, over GPU " + ref.gpuIndex() + "'s " + total + " MiB");

    ResourceClaimConsumerReference pod = pod(claim);
    return new ClaimAsk(namespace, name, claim.getMetadata().getUid(), pod == null ? null : pod.getUid(),
        pod == null ? null : namespace + "/" + pod.getName(), r.getPool(), r.getDevice(), ref.gpuIndex(), r.getRequest(),
        r.getShareID(), cores, memory, source);
  }

  /** The pod the claim is reserved for (the first, when several share it). */
  private static ResourceClaimConsumerReference pod(ResourceClaim claim) {
    List<ResourceClaimConsumerReference> refs = claim.getStatus().getReservedFor();
    if (refs == null) return null;
    for (ResourceClaimConsumerReference c : refs)
      if ("pods".equals(c.getResource()) && (c.getApiGroup() == null || c.getApiGroup().isEmpty())) return c;
    return null;
  }

  /** The last opaque config for our driver that applies to {@code request} (class configs come first, claim configs after). */
  private static JsonNode config(List<DeviceAllocationConfiguration> configs, String request, String id) {
    if (configs == null) return null;
    JsonNode found = null;
    for (DeviceAllocationConfiguration c : configs) {
      if (c.getOpaque() == null || !DraNames.DRIVER.equals(c.getOpaque().getDriver())) continue;
      List<String> reqs = c.getRequests();
      if (reqs != null && !reqs.isEmpty() && !reqs.contains(request) && reqs.stream().noneMatch(q -> request != null && request.startsWith(q + "/")))
        continue;
      JsonNode p = parameters(c.getOpaque().getParameters(), id);
      if (p == null || !p.isObject())
        throw new ClaimException("ResourceClaim " + id + ": the opaque config for " + DraNames.DRIVER + " must be an object {\"cores\", \"memory\"}");
      found = p;
    }
    return found;
  }

  /** The model holds parameters as whatever fabric8's (Jackson 3) mapper made of them; its own JSON of them is the neutral form. */
  private static JsonNode parameters(Object raw, String id) {
    if (raw == null) return null;
    try {
      return JSON.readTree(Serialization.asJson(raw));
    } catch (java.io.IOException | RuntimeException e) {
      throw new ClaimException("ResourceClaim " + id + ": the opaque config for " + DraNames.DRIVER + " is not JSON: " + e.getMessage());
    }
  }

  private static int cores(Quantity q, String id) {
    BigDecimal v = Quantity.getAmountInBytes(q);
    try {
      return v.intValueExact();
    } catch (ArithmeticException e) {
      throw new ClaimException("ResourceClaim " + id + ": cores " + q + " is not a whole number");
    }
  }

  private static long mib(Quantity q) {
    BigDecimal bytes = Quantity.getAmountInBytes(q);
    // Round down: a share is never above what was booked.
    return bytes.divideToIntegralValue(MIB).longValue();
  }

  private static int configCores(JsonNode n, String id) {
    if (!n.isIntegralNumber() || !n.canConvertToInt())
      throw new ClaimException("ResourceClaim " + id + ": config cores must be a whole number, got " + n);
    return n.intValue();
  }

  private static long configMemory(JsonNode n, String id) {
    if (n.isIntegralNumber() && n.canConvertToLong()) return n.longValue();
    if (n.isTextual()) {
      try {
        return mib(new Quantity(n.textValue()));
      } catch (IllegalArgumentException e) {
        throw new ClaimException("ResourceClaim " + id + ": config memory '" + n.textValue() + "' is not a quantity");
      }
    }
    throw new ClaimException("ResourceClaim " + id + ": config memory must be MiB (a whole number) or a quantity string, got " + n);
  }
}
