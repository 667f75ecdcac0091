package dev.edgeppo.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import dev.edgeppo.observe.slo.PodMetricsEndpoint;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.agent.AllocationTable;
import dev.edgeppo.observe.GpuProcesses;
import dev.edgeppo.observe.PodObserver;
import dev.edgeppo.observe.PodResolver;
import dev.edgeppo.observe.slo.HttpScraper;
import dev.edgeppo.server.AgentRuntime;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DRA path to a pod's own service level: the claim's {@code reservedFor} names the pod, whose annotations
 * and {@code status.podIP} the driver reads from the API server (fabric8's mock in CRUD mode: a mock, not a
 * kube-apiserver). The pod has no IP when its claim is prepared; the observer asks again at each scrape.
 */
class ServeDraServiceLevelTest {
  static final String POD_UID = "7a2b3c4d-5e6f-4a70-8b9c-0d1e2f3a4b5c";
  @TempDir Path tmp;

  @Test
  void theClaimsPodAnnotationsDecideItsFeedback() throws Exception {
    // Each scrape: 5 more requests within 0.1 s and 5 more in (0.1, 0.5].
    PodMetricsEndpoint endpoint = PodMetricsEndpoint.start(k -> "lat_seconds_bucket{le=\"0.1\"} " + 5 * k
        + "\nlat_seconds_bucket{le=\"0.5\"} " + 10 * k + "\nlat_seconds_bucket{le=\"+Inf\"} " + 10 * k + "\n");
    try (MockApi api = new MockApi(); FakeKubelet kubelet = new FakeKubelet()) {
      Pod pod = api.client.pods().inNamespace("default").resource(new PodBuilder()
          .withNewMetadata().withNamespace("default").withName("server").withUid(POD_UID)
          .addToAnnotations(PodServiceLevels.METRICS, endpoint.port() + "/metrics")
          .addToAnnotations(PodServiceLevels.SLO, "lat_seconds:p90<=0.2").endMetadata()
          .withNewSpec().withNodeName(MockApi.NODE).addNewContainer().withName("c").withImage("vllm").endContainer().endSpec()
          .build()).create();
      String uid = api.claim("infer", DraNames.DRIVER, "gpu-0", Map.of("cores", "80", "memory", "4000Mi"), null, "server", POD_UID)
          .getMetadata().getUid();
      AgentRuntime rt = api.startServeWithDra(tmp);
      try {
        // Scripted GPU: the pod's process at 30 % SM, far below its grant: the NVML rules would say served.
        HttpScraper scraper = new HttpScraper();
        PodObserver observer = PodObserver.of(gpu -> new GpuProcesses(Map.of(10, 1000L), Map.of(10, 30.0)), new PodResolver() {
          @Override public String podOf(int pid) { return pid == 10 ? POD_UID : null; }
          @Override public boolean podAlive(String u) { return true; }
        }, rt.core().observerSink(), Duration.ofSeconds(2), Duration.ofHours(1), InstantSource.system(), scraper);
        rt.core().observeWith(observer);
        kubelet.register(tmp.resolve("registry"));
        assertEquals("", kubelet.prepare(FakeKubelet.claim("default", "infer", uid)).getClaimsOrThrow(uid).getError());
        PreparedClaim p = rt.dra().prepared().get(uid);

        observer.tick(); // no pod IP yet: that scrape fails and says why
        assertEquals(1, observer.scrapeFailures("no_pod_ip"));
        pod.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPodIP("127.0.0.1").build());
        api.client.pods().inNamespace("default").resource(pod).updateStatus();
        observer.tick();
        observer.tick();
        assertEquals(2, endpoint.scrapes(), "scraped at the pod's IP once it had one");

        assertEquals("", kubelet.unprepare(FakeKubelet.claim("default", "infer", uid)).getClaimsOrThrow(uid).getError());
        var answered = rt.core().allocation(p.allocationId()).orElseThrow();
        assertNotNull(answered.answer());
        assertEquals(AllocationTable.Source.OBSERVED, answered.answer().source());
        var slo = answered.observation().slo();
        assertNotNull(slo, answered.observation().why().toString());
        // Between the two good scrapes: 5 within 0.1 s, 10 within 0.5 s: p90 at rank 9 = 0.1 + 0.4 * 4/5.
        assertEquals(0.1 + 0.4 * 4 / 5, slo.value(), 1e-12);
        assertEquals(3, slo.scrapes());
        assertEquals(1, slo.failedScrapes());
        assertFalse(answered.answer().qosMet(), "its own p90 misses 0.2 s though NVML saw nothing wrong");
        assertTrue(answered.observation().why().getFirst().startsWith("service level missed"), answered.observation().why().toString());
      } finally {
        rt.close();
      }
    } finally {
      endpoint.close();
    }
  }

  @Test
  void malformedAnnotationsAreIgnored() {
    try (MockApi api = new MockApi()) {
      PodServiceLevels levels = new PodServiceLevels(api.client);
      assertEquals(null, levels.fromAnnotations(Map.of(PodServiceLevels.METRICS, "8000", PodServiceLevels.SLO, "lat:p200<=1"), "d/p", "u", () -> null));
      assertEquals(null, levels.fromAnnotations(Map.of(PodServiceLevels.METRICS, "port", PodServiceLevels.SLO, "lat:p99<=1"), "d/p", "u", () -> null));
      assertEquals(null, levels.fromAnnotations(Map.of(PodServiceLevels.SLO, "lat:p99<=1"), "d/p", "u", () -> null));
      assertEquals(null, levels.fromAnnotations(Map.of("other", "x"), "d/p", "u", () -> null));
      var ok = levels.fromAnnotations(Map.of(PodServiceLevels.METRICS, "8000", PodServiceLevels.SLO, "lat:p99<=1"), "d/p", "u", () -> "10.0.0.7");
      assertEquals("http://10.0.0.7:8000/metrics", ok.resolve().toString());
      assertEquals(null, api.client.pods().inNamespace("d").withName("absent").get());
      assertEquals(null, levels.of("d", "absent", "u"), "a pod that is not there declares nothing");
    }
  }
}
