package dev.edgeppo.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.agent.FixedTelemetry;
import dev.edgeppo.k8s.kubelet.dra.v1.NodePrepareResourceResponse;
import dev.edgeppo.k8s.kubelet.dra.v1.NodePrepareResourcesResponse;
import dev.edgeppo.k8s.kubelet.dra.v1.NodeUnprepareResourcesResponse;
import dev.edgeppo.k8s.kubelet.registration.PluginInfo;
import dev.edgeppo.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DRA driver end to end: a test client plays the kubelet over real unix sockets; the API server is
 * fabric8's mock (a mock, not a cluster). Registration, prepare, retry, restart, unprepare, bad claims.
 */
class KubeletPluginTest {
  static final ObjectMapper JSON = Json.MAPPER;
  static final long GPU_MIB = 16384;

  @TempDir Path tmp;
  MockApi api;
  FixedTelemetry telemetry;
  HalfDecider decider;
  KubeletPlugin plugin;
  FakeKubelet kubelet;

  @BeforeEach
  void setUp() throws Exception {
    api = new MockApi();
    telemetry = new FixedTelemetry(FixedTelemetry.gpu(0, 30, GPU_MIB, 2000, 1));
    decider = new HalfDecider();
    plugin = start();
    kubelet = new FakeKubelet();
  }

  @AfterEach
  void tearDown() {
    kubelet.close();
    if (plugin != null) plugin.close();
    api.close();
  }

  KubeletPlugin start() throws Exception {
    return KubeletPlugin.start(new KubeletPlugin.Settings(tmp.resolve("plugins/gpu.edgeppo.dev"), tmp.resolve("plugins_registry"),
        tmp.resolve("cdi"), MockApi.NODE, null, tmp.resolve("state"), 0, Duration.ofHours(1)), api.newClient(), telemetry, decider);
  }

  @Test
  void registrationAnswersWhatTheKubeletChecks() throws Exception {
    PluginInfo info = kubelet.register(tmp.resolve("plugins_registry"));
    assertEquals("DRAPlugin", info.getType());
    assertEquals("gpu.edgeppo.dev", info.getName());
    assertEquals(List.of("v1.DRAPlugin"), info.getSupportedVersionsList());
    assertEquals(tmp.resolve("plugins/gpu.edgeppo.dev/dra.sock").toAbsolutePath().toString(), info.getEndpoint());
    assertEquals("gpu.edgeppo.dev-reg.sock", plugin.registrationSocket().getFileName().toString());
    assertEquals(Boolean.TRUE, plugin.registrationStatus().registered());
  }

  @Test
  void prepareRetryRestartUnprepare() throws Exception {
    var claim = api.claim("train", DraNames.DRIVER, "gpu-0", Map.of("cores", "40", "memory", "8Gi"), null, "trainer", "pod-uid-1");
    String uid = claim.getMetadata().getUid();
    kubelet.register(tmp.resolve("plugins_registry"));

    NodePrepareResourcesResponse first = kubelet.prepare(FakeKubelet.claim("default", "train", uid));
    NodePrepareResourceResponse r = first.getClaimsOrThrow(uid);
    assertEquals("", r.getError());
    assertEquals(1, r.getDevicesCount());
    var d = r.getDevices(0);
    assertEquals(MockApi.NODE, d.getPoolName());
    assertEquals("gpu-0", d.getDeviceName());
    assertEquals(List.of("gpu"), d.getRequestNamesList());
    assertEquals("share-train", d.getShareId());
    assertEquals(List.of("nvidia.com/gpu=0", "edgeppo.dev/gpu-share=" + uid), d.getCdiDeviceIdsList());

    // The policy saw the booked capacity and the pod from reservedFor; its grant (half) is in the CDI spec.
    assertEquals(1, decider.asks.size());
    ClaimAsk ask = decider.asks.getFirst();
    assertEquals(40, ask.cores());
    assertEquals(8192, ask.memoryMib());
    assertEquals("pod-uid-1", ask.podUid());
    assertEquals("default/trainer", ask.pod());
    assertCdi(uid, 20, 4096);

    // The kubelet retries: same answer, no second allocation.
    assertEquals(first, kubelet.prepare(FakeKubelet.claim("default", "train", uid)));
    assertEquals(1, decider.asks.size());

    // The agent restarts between prepare and unprepare: the claim is still known.
    plugin.close();
    kubelet.close();
    plugin = start();
    kubelet = new FakeKubelet();
    kubelet.register(tmp.resolve("plugins_registry"));
    assertEquals(first, kubelet.prepare(FakeKubelet.claim("default", "train", uid)));
    assertEquals(1, decider.asks.size());

    NodeUnprepareResourcesResponse un = kubelet.unprepare(FakeKubelet.claim("default", "train", uid));
    assertEquals("", un.getClaimsOrThrow(uid).getError());
    assertFalse(Files.exists(new CdiSpecs(tmp.resolve("cdi")).file(uid)), "CDI spec removed");
    assertEquals(List.of("alloc-1@pod-uid-1"), decider.ended);
    assertNull(plugin.prepared().get(uid));

    // Unprepare again, and of a claim never seen: both succeed, nothing more is ended.
    un = kubelet.unprepare(FakeKubelet.claim("default", "train", uid), FakeKubelet.claim("default", "ghost", "uid-ghost"));
    assertEquals("", un.getClaimsOrThrow(uid).getError());
    assertEquals("", un.getClaimsOrThrow("uid-ghost").getError());
    assertEquals(1, decider.ended.size());
  }

  @Test
  void badClaimsGetTheirOwnErrorsAndTheGoodOneIsPrepared() throws Exception {
    String other = api.claim("other", "gpu.nvidia.com", "gpu-0", null, null, "p2", "pod-uid-2").getMetadata().getUid();
    String huge = api.claim("huge", DraNames.DRIVER, "gpu-0", null, Map.of("cores", 50, "memory", 40000), "p3", "pod-uid-3").getMetadata().getUid();
    String good = api.claim("good", DraNames.DRIVER, "gpu-0", null, Map.of("cores", 30, "memory", "2Gi"), "p4", "pod-uid-4").getMetadata().getUid();
    String stale = api.claim("stale", DraNames.DRIVER, "gpu-0", null, Map.of("cores", 30, "memory", 100), "p5", "pod-uid-5").getMetadata().getUid();
    kubelet.register(tmp.resolve("plugins_registry"));

    NodePrepareResourcesResponse resp = kubelet.prepare(FakeKubelet.claim("default", "missing", "uid-missing"),
        FakeKubelet.claim("default", "other", other), FakeKubelet.claim("default", "huge", huge),
        FakeKubelet.claim("default", "good", good), FakeKubelet.claim("default", "stale", "uid-of-a-deleted-claim"));
    assertEquals(5, resp.getClaimsCount());
    assertEquals("no ResourceClaim default/missing", resp.getClaimsOrThrow("uid-missing").getError());
    assertTrue(resp.getClaimsOrThrow(other).getError().contains("no device of driver gpu.edgeppo.dev; its devices are of gpu.nvidia.com"),
        resp.getClaimsOrThrow(other).getError());
    assertTrue(resp.getClaimsOrThrow(huge).getError().contains("asks 40000 MiB, over GPU 0's 16384 MiB"),
        resp.getClaimsOrThrow(huge).getError());
    assertTrue(resp.getClaimsOrThrow("uid-of-a-deleted-claim").getError().contains("has uid " + stale + ", the kubelet asked for uid-of-a-deleted-claim"),
        resp.getClaimsOrThrow("uid-of-a-deleted-claim").getError());
    for (String bad : List.of("uid-missing", other, huge, "uid-of-a-deleted-claim")) {
      assertEquals(0, resp.getClaimsOrThrow(bad).getDevicesCount());
      assertFalse(Files.exists(new CdiSpecs(tmp.resolve("cdi")).file(bad)));
      assertNull(plugin.prepared().get(bad));
    }
    assertEquals("", resp.getClaimsOrThrow(good).getError());
    assertCdi(good, 15, 1024);
    assertEquals(1, decider.asks.size(), "bad claims never reach the policy");
  }

  @Test
  void whenThePolicyCannotDecideThePodGetsItsAsk() throws Exception {
    String uid = api.claim("ask", DraNames.DRIVER, "gpu-0", Map.of("cores", "60", "memory", "3000Mi"), null, "p5", "pod-uid-5")
        .getMetadata().getUid();
    decider.failing = true;
    kubelet.register(tmp.resolve("plugins_registry"));
    var r = kubelet.prepare(FakeKubelet.claim("default", "ask", uid)).getClaimsOrThrow(uid);
    assertEquals("", r.getError());
    assertCdi(uid, 60, 3000);
    PreparedClaim p = plugin.prepared().get(uid);
    assertNull(p.allocationId());
    assertTrue(p.decidedBy().startsWith("ask granted as is"), p.decidedBy());
    // Unprepare of a claim with no allocation ends nothing and succeeds.
    assertEquals("", kubelet.unprepare(FakeKubelet.claim("default", "ask", uid)).getClaimsOrThrow(uid).getError());
    assertTrue(decider.ended.isEmpty());
  }

  /** The CDI spec, field by field. */
  void assertCdi(String uid, int cores, long mib) throws Exception {
    Path f = tmp.resolve("cdi").resolve("edgeppo.dev-gpu-share_" + uid + ".json");
    JsonNode spec = JSON.readTree(f.toFile());
    assertEquals(3, spec.size(), spec.toString());
    assertEquals("0.5.0", spec.get("cdiVersion").asText());
    assertEquals("edgeppo.dev/gpu-share", spec.get("kind").asText());
    assertEquals(1, spec.get("devices").size());
    JsonNode dev = spec.get("devices").get(0);
    assertEquals(uid, dev.get("name").asText());
    assertEquals(1, dev.get("containerEdits").size(), "env only");
    List<String> env = JSON.convertValue(dev.get("containerEdits").get("env"), JSON.getTypeFactory().constructCollectionType(List.class, String.class));
    assertEquals(List.of("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=" + cores, "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=0=" + mib + "M",
        "CUDA_DEVICE_SM_LIMIT=" + cores, "CUDA_DEVICE_MEMORY_LIMIT_0=" + mib + "m"), env);
    assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
  }
}
