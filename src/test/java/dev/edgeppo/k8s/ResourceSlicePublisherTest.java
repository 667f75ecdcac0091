package dev.edgeppo.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.agent.FixedTelemetry;
import dev.edgeppo.telemetry.GpuSnapshot;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.Device;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceSlice;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The node's ResourceSlice as published to fabric8's mock API server (a mock, not a cluster). */
class ResourceSlicePublisherTest {
  MockApi api;
  FixedTelemetry telemetry;

  @BeforeEach
  void setUp() {
    api = new MockApi();
    telemetry = new FixedTelemetry(new GpuSnapshot(0, "GPU-aaaa", "NVIDIA A2", 10.0, null, 15356L, 100L, 0, null, null, Map.of()));
  }

  @AfterEach
  void tearDown() { api.close(); }

  ResourceSlice published() {
    return api.client.dynamicResourceAllocation().v1().resourcesSlices().withName("edge-1-gpu.edgeppo.dev").get();
  }

  @Test
  void publishesOneSharedDevicePerGpuAndFollowsTheGpus() {
    var pub = new ResourceSlicePublisher(api.client, telemetry, MockApi.NODE, 0);
    assertEquals(ResourceSlicePublisher.Outcome.CREATED, pub.reconcile());
    ResourceSlice s = published();
    assertEquals("gpu.edgeppo.dev", s.getSpec().getDriver());
    assertEquals("edge-1", s.getSpec().getNodeName());
    assertEquals("edge-1", s.getSpec().getPool().getName());
    assertEquals(1L, s.getSpec().getPool().getGeneration());
    assertEquals(1L, s.getSpec().getPool().getResourceSliceCount());
    assertEquals(1, s.getSpec().getDevices().size());
    Device d = s.getSpec().getDevices().getFirst();
    assertEquals("gpu-0", d.getName());
    assertEquals(Boolean.TRUE, d.getAllowMultipleAllocations());
    assertEquals("GPU-aaaa", d.getAttributes().get("uuid").getString());
    assertEquals("NVIDIA A2", d.getAttributes().get("productName").getString());
    assertEquals(0L, d.getAttributes().get("index").getInt());
    assertEquals(new Quantity("100"), d.getCapacity().get("cores").getValue());
    assertEquals(new Quantity("15356Mi"), d.getCapacity().get("memory").getValue());

    assertEquals(ResourceSlicePublisher.Outcome.UNCHANGED, pub.reconcile());
    assertEquals(1L, published().getSpec().getPool().getGeneration());

    // A second GPU appears: published under a new generation.
    telemetry.gpus = List.of(telemetry.gpus.getFirst(), new GpuSnapshot(1, "GPU-bbbb", "NVIDIA A2", 0.0, null, 15356L, 0L, 0, null, null, Map.of()));
    assertEquals(ResourceSlicePublisher.Outcome.UPDATED, pub.reconcile());
    assertEquals(List.of("gpu-0", "gpu-1"), published().getSpec().getDevices().stream().map(Device::getName).toList());
    assertEquals(2L, published().getSpec().getPool().getGeneration());

    // GPU 0 fails (its memory no longer reads): withdrawn.
    telemetry.gpus = List.of(new GpuSnapshot(0, "GPU-aaaa", "NVIDIA A2", null, null, null, null, null, null, null, Map.of()),
        telemetry.gpus.get(1));
    assertEquals(ResourceSlicePublisher.Outcome.UPDATED, pub.reconcile());
    assertEquals(List.of("gpu-1"), published().getSpec().getDevices().stream().map(Device::getName).toList());
    assertEquals(3L, published().getSpec().getPool().getGeneration());

    // Telemetry fails altogether: the slice stays as it was.
    telemetry.failing = true;
    assertEquals(ResourceSlicePublisher.Outcome.TELEMETRY_FAILED, pub.reconcile());
    assertEquals(List.of("gpu-1"), published().getSpec().getDevices().stream().map(Device::getName).toList());
  }

  @Test
  void slotsModePublishesKPlainDevicesPerGpu() {
    var pub = new ResourceSlicePublisher(api.client, telemetry, MockApi.NODE, 3);
    assertEquals(ResourceSlicePublisher.Outcome.CREATED, pub.reconcile());
    List<Device> devices = published().getSpec().getDevices();
    assertEquals(List.of("gpu-0-slot-0", "gpu-0-slot-1", "gpu-0-slot-2"), devices.stream().map(Device::getName).toList());
    for (int k = 0; k < 3; k++) {
      Device d = devices.get(k);
      assertEquals((long) k, d.getAttributes().get("slot").getInt());
      assertEquals("GPU-aaaa", d.getAttributes().get("uuid").getString());
      assertTrue(d.getCapacity() == null || d.getCapacity().isEmpty(), "no consumable capacity in slots mode");
      assertNull(d.getAllowMultipleAllocations());
    }
    assertEquals(new GpuDevices.Ref(0, 2), GpuDevices.parse("gpu-0-slot-2"));
  }
}
