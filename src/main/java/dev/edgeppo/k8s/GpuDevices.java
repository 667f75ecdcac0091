package dev.edgeppo.k8s;

import dev.edgeppo.telemetry.GpuSnapshot;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttribute;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceAttributeBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacity;
import io.fabric8.kubernetes.api.model.resource.v1.DeviceCapacityBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The devices this node publishes, from the agent's telemetry (discovery): one shared device per GPU
 * ({@code gpu-<index>}, capacities {@code cores} = 100 and {@code memory} = its MiB, several claims at once),
 * or in slots mode K plain devices per GPU ({@code gpu-<index>-slot-<k>}) for clusters without consumable
 * capacity. A GPU whose total memory cannot be read is left out: it is not one a pod can be given.
 */
public final class GpuDevices {
  private GpuDevices() {}

  /** DRA caps string attributes at 64 characters. */
  static final int MAX_STRING_ATTRIBUTE = 64;
  private static final Pattern NAME = Pattern.compile("gpu-(\\d{1,4})(?:-slot-(\\d{1,4}))?");

  /** A device name taken apart: the GPU index, and the slot (-1 for a shared device). */
  public record Ref(int gpuIndex, int slot) {}

  /** @param slotsPerGpu 0 for shared devices with consumable capacity, K > 0 for K slot devices per GPU */
  public static List<Device> of(List<GpuSnapshot> gpus, int slotsPerGpu) {
    if (slotsPerGpu < 0) throw new IllegalArgumentException("slots per GPU must be >= 0, got " + slotsPerGpu);
    List<Device> out = new ArrayList<>();
    for (GpuSnapshot g : gpus) {
      if (g.memoryTotalMib() == null || g.memoryTotalMib() <= 0 || g.uuid() == null) continue;
      if (slotsPerGpu == 0) {
        Map<String, DeviceCapacity> capacity = new LinkedHashMap<>();
        capacity.put(DraNames.CORES, new DeviceCapacityBuilder().withValue(new Quantity(Integer.toString(DraNames.CORES_PER_GPU))).build());
        capacity.put(DraNames.MEMORY, new DeviceCapacityBuilder().withValue(mib(g.memoryTotalMib())).build());
        out.add(new DeviceBuilder().withName(sharedName(g.index())).withAttributes(attributes(g, -1))
            .withCapacity(capacity).withAllowMultipleAllocations(true).build());
      } else {
        for (int k = 0; k < slotsPerGpu; k++)
          out.add(new DeviceBuilder().withName(slotName(g.index(), k)).withAttributes(attributes(g, k)).build());
      }
    }
    return out;
  }

  public static String sharedName(int index) { return "gpu-" + index; }

  public static String slotName(int index, int slot) { return "gpu-" + index + "-slot-" + slot; }

  /** The GPU behind a device name we published, or null for a name that is not one of ours. */
  public static Ref parse(String deviceName) {
    if (deviceName == null) return null;
    Matcher m = NAME.matcher(deviceName);
    if (!m.matches()) return null;
    return new Ref(Integer.parseInt(m.group(1)), m.group(2) == null ? -1 : Integer.parseInt(m.group(2)));
  }

  /** A memory amount in MiB as a Kubernetes quantity ("32768Mi"). */
  public static Quantity mib(long mib) { return new Quantity(mib + "Mi"); }

  private static Map<String, DeviceAttribute> attributes(GpuSnapshot g, int slot) {
    Map<String, DeviceAttribute> a = new LinkedHashMap<>();
    a.put(DraNames.ATTR_UUID, new DeviceAttributeBuilder().withString(clip(g.uuid())).build());
    a.put(DraNames.ATTR_PRODUCT, new DeviceAttributeBuilder().withString(clip(g.name() == null ? "unknown" : g.name())).build());
    a.put(DraNames.ATTR_INDEX, new DeviceAttributeBuilder().withInt((long) g.index()).build());
    if (slot >= 0) a.put(DraNames.ATTR_SLOT, new DeviceAttributeBuilder().withInt((long) slot).build());
    return a;
  }

  private static String clip(String s) { return s.length() <= MAX_STRING_ATTRIBUTE ? s : s.substring(0, MAX_STRING_ATTRIBUTE); }
}
