package dev.edgeppo.k8s;

import dev.edgeppo.telemetry.Telemetry;
import dev.edgeppo.telemetry.TelemetryException;
import dev.edgeppo.log.Events;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.ResourcePoolBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceBuilder;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpec;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSliceSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps this node's ResourceSlice equal to what telemetry reports: one slice named
 * {@code <node>-gpu.edgeppo.dev}, pool = the node's name, one pool generation per change of its devices.
 * {@link #reconcile()} runs at start and then periodically, so a GPU that appears is published and one that
 * fails (no longer reported, or its memory unreadable) is withdrawn. A telemetry failure keeps the slice as
 * it is: a passing NVML error must not take every GPU off the scheduler's books.
 */
public final class ResourceSlicePublisher {
  private static final Logger LOG = Logger.getLogger(ResourceSlicePublisher.class.getName());

  /** What a reconcile did. */
  public enum Outcome { CREATED, UPDATED, UNCHANGED, TELEMETRY_FAILED }

  private final KubernetesClient client;
  private final Telemetry telemetry;
  private final String nodeName;
  private final int slotsPerGpu;

  public ResourceSlicePublisher(KubernetesClient client, Telemetry telemetry, String nodeName, int slotsPerGpu) {
    this.client = Objects.requireNonNull(client);
    this.telemetry = Objects.requireNonNull(telemetry);
    this.nodeName = Objects.requireNonNull(nodeName);
    this.slotsPerGpu = slotsPerGpu;
  }

  public String sliceName() { return sliceName(nodeName); }

  public static String sliceName(String nodeName) { return nodeName + "-" + DraNames.DRIVER; }

  /** Brings the slice up to date; API errors are thrown (the caller logs and tries again next period). */
  public synchronized Outcome reconcile() {
    List<Device> devices;
    try {
      devices = GpuDevices.of(telemetry.read(), slotsPerGpu);
    } catch (TelemetryException e) {
      log(Level.WARNING, "telemetry failed; the ResourceSlice is left as it is", Map.of("error", String.valueOf(e.getMessage())));
      return Outcome.TELEMETRY_FAILED;
    }
    var slices = client.dynamicResourceAllocation().v1().resourcesSlices(); // sic: fabric8 8.0.0 names it so
    ResourceSlice current = slices.withName(sliceName()).get();
    if (current == null) {
      slices.resource(new ResourceSliceBuilder()
          .withMetadata(new ObjectMetaBuilder().withName(sliceName()).build())
          .withSpec(spec(devices, 1)).build()).create();
      log(Level.INFO, "ResourceSlice created", Map.of("slice", sliceName(), "devices", devices.size()));
      return Outcome.CREATED;
    }
    ResourceSliceSpec have = current.getSpec();
    long generation = have == null || have.getPool() == null || have.getPool().getGeneration() == null ? 0 : have.getPool().getGeneration();
    if (have != null && spec(devices, generation).equals(have)) return Outcome.UNCHANGED;
    current.setSpec(spec(devices, generation + 1));
    slices.resource(current).update(); // carries the resourceVersion read above: a concurrent writer makes this fail, not lose
    log(Level.INFO, "ResourceSlice updated", Map.of("slice", sliceName(), "devices", devices.size(), "generation", generation + 1));
    return Outcome.UPDATED;
  }

  /** {@link #reconcile()} for a periodic task: logs instead of throwing, so the schedule keeps running. */
  public void reconcileQuietly() {
    try {
      reconcile();
    } catch (KubernetesClientException | IllegalStateException e) {
      log(Level.WARNING, "ResourceSlice not reconciled; next period tries again", Map.of("error", String.valueOf(e.getMessage())));
    }
  }

  ResourceSliceSpec spec(List<Device> devices, long generation) {
    return new ResourceSliceSpecBuilder()
        .withDriver(DraNames.DRIVER)
        .withNodeName(nodeName)
        .withPool(new ResourcePoolBuilder().withName(nodeName).withGeneration(generation).withResourceSliceCount(1L).build())
        .withDevices(devices)
        .build();
  }

  private static void log(Level level, String msg, Map<String, ?> fields) { Events.log(LOG, level, msg, fields); }
}
