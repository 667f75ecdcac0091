package dev.edgeppo.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** How a claim becomes an ask, without a server: {@link ClaimReader#parse} on claims built as the scheduler leaves them. */
class ClaimReaderTest {
  static final KubernetesClient UNUSED = new KubernetesClientBuilder().build(); // parse never calls it
  static final ClaimReader READER = new ClaimReader(UNUSED, "edge-1");
  static final IntFunction<Long> GPU_16G = i -> i == 0 ? 16384L : null;

  @AfterAll
  static void close() { UNUSED.close(); }

  static ResourceClaimBuilder claim(String pool, String device, Map<String, String> booked, Object config) {
    var results = new ResourceClaimBuilder().withNewMetadata().withNamespace("ns").withName("c").withUid("u1").endMetadata()
        .withNewStatus().withNewAllocation().withNewDevices().addNewResult().withDriver(DraNames.DRIVER).withPool(pool)
        .withDevice(device).withRequest("gpu")
        .withConsumedCapacity(booked == null ? null : booked.entrySet().stream()
            .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> new Quantity(e.getValue()))))
        .endResult();
    if (config != null)
      results = results.addNewConfig().withSource("FromClass").withNewOpaque().withDriver(DraNames.DRIVER).withParameters(Map.of("cores", 99)).endOpaque().endConfig()
          .addNewConfig().withSource("FromClaim").withRequests("gpu").withNewOpaque().withDriver(DraNames.DRIVER).withParameters(config).endOpaque().endConfig();
    return results.endDevices().endAllocation().addNewReservedFor().withResource("pods").withName("p").withUid("pod-u").endReservedFor().endStatus();
  }

  static ClaimAsk parse(ResourceClaim c) { return READER.parse(c, "u1", GPU_16G); }

  @Test
  void bookedCapacityIsTheAsk() {
    ClaimAsk a = parse(claim("edge-1", "gpu-0", Map.of("cores", "25", "memory", "1536Mi"), null).build());
    assertEquals(25, a.cores());
    assertEquals(1536, a.memoryMib());
    assertEquals("capacity", a.source());
    assertEquals("pod-u", a.podUid());
    assertEquals("ns/p", a.pod());
    assertEquals(0, a.gpuIndex());
  }

  @Test
  void memoryRoundsDownToWholeMiBSoTheGrantNeverExceedsTheBooking() {
    assertEquals(1, parse(claim("edge-1", "gpu-0", Map.of("cores", "1", "memory", "2000000"), null).build()).memoryMib());
    assertEquals(4096, parse(claim("edge-1", "gpu-0", Map.of("cores", "1", "memory", "4Gi"), null).build()).memoryMib());
  }

  @Test
  void claimConfigOverridesClassConfigAndMayOnlyNarrowTheBooking() {
    ClaimAsk a = parse(claim("edge-1", "gpu-0-slot-1", null, Map.of("cores", 30, "memory", "1Gi")).build());
    assertEquals(30, a.cores());
    assertEquals(1024, a.memoryMib());
    assertEquals("config", a.source());
    ClaimAsk narrowed = parse(claim("edge-1", "gpu-0", Map.of("cores", "50", "memory", "4Gi"), Map.of("cores", 20)).build());
    assertEquals(20, narrowed.cores());
    assertEquals(4096, narrowed.memoryMib());
    var e = assertThrows(ClaimException.class, () -> parse(claim("edge-1", "gpu-0", Map.of("cores", "50", "memory", "4Gi"), Map.of("cores", 60)).build()));
    assertTrue(e.getMessage().contains("config asks 60 cores, above the 50 booked"), e.getMessage());
  }

  @Test
  void nothingSaidMeansTheWholeDevice() {
    ClaimAsk a = parse(claim("edge-1", "gpu-0", null, null).build());
    assertEquals(100, a.cores());
    assertEquals(16384, a.memoryMib());
    assertEquals("whole device", a.source());
  }

  @Test
  void badClaimsAreRefusedWithTheReason() {
    assertTrue(assertThrows(ClaimException.class, () -> parse(claim("edge-2", "gpu-0", null, null).build())).getMessage()
        .contains("allocated from pool edge-2, not this node's (edge-1)"));
    assertTrue(assertThrows(ClaimException.class, () -> parse(claim("edge-1", "tpu-0", null, null).build())).getMessage()
        .contains("device tpu-0 is not one this driver publishes"));
    assertTrue(assertThrows(ClaimException.class, () -> parse(claim("edge-1", "gpu-0", null, Map.of("cores", 101)).build())).getMessage()
        .contains("asks 101 cores, over the GPU's 100"));
    assertTrue(assertThrows(ClaimException.class, () -> parse(claim("edge-1", "gpu-0", null, Map.of("cores", 0)).build())).getMessage()
        .contains("asks 0 cores; at least 1"));
    assertTrue(assertThrows(ClaimException.class, () -> parse(claim("edge-1", "gpu-0", null, Map.of("cores", "many")).build())).getMessage()
        .contains("config cores must be a whole number"));
    assertTrue(assertThrows(ClaimException.class, () -> parse(claim("edge-1", "gpu-0", null, Map.of("memory", "lots")).build())).getMessage()
        .contains("config memory 'lots' is not a quantity"));
    assertTrue(assertThrows(ClaimException.class, () -> parse(claim("edge-1", "gpu-0", null, Map.of("memory", 20000)).build())).getMessage()
        .contains("asks 20000 MiB, over GPU 0's 16384 MiB"));
    ResourceClaim unallocated = new ResourceClaimBuilder().withNewMetadata().withNamespace("ns").withName("c").withUid("u1").endMetadata().build();
    assertTrue(assertThrows(ClaimException.class, () -> parse(unallocated)).getMessage().contains("is not allocated"));
    ResourceClaim two = claim("edge-1", "gpu-0", null, null).editStatus().editAllocation().editDevices().addNewResult()
        .withDriver(DraNames.DRIVER).withPool("edge-1").withDevice("gpu-1").withRequest("gpu").endResult().endDevices().endAllocation().endStatus().build();
    assertTrue(assertThrows(ClaimException.class, () -> parse(two)).getMessage().contains("holds 2 devices of gpu.edgeppo.dev"));
  }

  @Test
  void unknownGpuMemorySkipsOnlyTheMemoryCheck() {
    ClaimAsk a = READER.parse(claim("edge-1", "gpu-3", Map.of("cores", "10", "memory", "1Gi"), null).build(), "u1", i -> null);
    assertEquals(1024, a.memoryMib());
    ResourceClaim noPod = claim("edge-1", "gpu-0", Map.of("cores", "10", "memory", "1Gi"), null).editStatus().withReservedFor().endStatus().build();
    assertNull(parse(noPod).podUid());
  }
}
