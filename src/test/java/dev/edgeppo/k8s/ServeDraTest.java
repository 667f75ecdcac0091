package dev.edgeppo.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeppo.agent.AllocationTable;
import dev.edgeppo.observe.GpuProcesses;
import dev.edgeppo.observe.PodObserver;
import dev.edgeppo.observe.PodResolver;
import dev.edgeppo.server.AgentRuntime;
import dev.edgeppo.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve} with a kubelet plugin dir: the runtime opens the DRA driver, which reaches the API server
 * (fabric8's mock, through a kubeconfig file as an operator would give it) and the agent's real policy.
 */
class ServeDraTest {
  @TempDir Path tmp;

  @Test
  void serveIsTheNodesDraDriverAndThePolicyDecidesTheGrant() throws Exception {
    try (MockApi api = new MockApi(); FakeKubelet kubelet = new FakeKubelet()) {
      String uid = api.claim("infer", DraNames.DRIVER, "gpu-0", Map.of("cores", "80", "memory", "4000Mi"), null, "server", "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b")
          .getMetadata().getUid();
      AgentRuntime rt = api.startServeWithDra(tmp);
      try {
        assertNotNull(rt.dra());
        // The simulated telemetry has no per-process readings: a scripted GPU where the claim's pod runs one
        // process at 30 % SM and 1000 MiB, read by hand (the observer's thread is not started).
        String podUid = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
        PodObserver observer = PodObserver.of(gpu -> new GpuProcesses(Map.of(10, 1000L), Map.of(10, 30.0)), new PodResolver() {
          @Override public String podOf(int pid) { return pid == 10 ? podUid : null; }
          @Override public boolean podAlive(String uid) { return true; }
        }, rt.core().observerSink(), Duration.ofSeconds(2), Duration.ofHours(1), InstantSource.system());
        rt.core().observeWith(observer);
        kubelet.register(tmp.resolve("registry"));
        var r = kubelet.prepare(FakeKubelet.claim("default", "infer", uid)).getClaimsOrThrow(uid);
        assertEquals("", r.getError());
        PreparedClaim p = rt.dra().prepared().get(uid);
        // The grant is the policy's (SPEC §1: never above the ask, at least min(10, ask) cores and min(512, ask) MB).
        assertTrue(p.cores() >= 10 && p.cores() <= 80, "cores " + p.cores());
        assertTrue(p.memoryMib() >= 512 && p.memoryMib() <= 4000, "memory " + p.memoryMib());
        assertEquals("policy", p.decidedBy());
        assertEquals(1, rt.core().pending(), "one allocation, the same /allocate makes");
        var alloc = rt.core().allocation(p.allocationId()).orElseThrow().record();
        assertEquals("6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b", alloc.podUid(), "the pod in reservedFor is the one observed");
        assertEquals(80, alloc.requestedCores());
        assertEquals(4000, alloc.requestedMemoryMb());
        assertEquals(p.cores(), alloc.cores());
        JsonNode spec = Json.MAPPER.readTree(tmp.resolve("cdi/edgeppo.dev-gpu-share_" + uid + ".json").toFile());
        assertEquals("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=" + p.cores(), spec.at("/devices/0/containerEdits/env/0").asText());
        assertEquals("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=0=" + p.memoryMib() + "M", spec.at("/devices/0/containerEdits/env/1").asText());
        assertEquals(1, observer.observing());
        observer.tick();
        observer.tick();
        assertEquals(2, observer.progress(p.allocationId()).samples());
        assertEquals("", kubelet.unprepare(FakeKubelet.claim("default", "infer", uid)).getClaimsOrThrow(uid).getError());
        assertFalse(Files.exists(tmp.resolve("cdi/edgeppo.dev-gpu-share_" + uid + ".json")));
        // Unprepare is the pod's end: its observation is judged at once and gives the final feedback.
        var answered = rt.core().allocation(p.allocationId()).orElseThrow();
        assertNotNull(answered.answer(), "the unprepare gave the observation's feedback");
        assertEquals(AllocationTable.Source.OBSERVED, answered.answer().source());
        assertTrue(answered.answer().done());
        assertEquals(30.0, answered.answer().actualUsage(), 1e-9);
        assertEquals(2, answered.observation().samples());
        assertEquals(0, observer.observing());
      } finally {
        rt.close();
      }
      assertFalse(Files.exists(tmp.resolve("registry/gpu.edgeppo.dev-reg.sock")), "stopping serve unregisters the driver");
    }
  }
}
