package dev.edgeppo.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import dev.edgeppo.observe.slo.PodMetricsEndpoint;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeppo.agent.AllocationTable;
import dev.edgeppo.observe.GpuProcesses;
import dev.edgeppo.observe.PodObserver;
import dev.edgeppo.observe.PodResolver;
import dev.edgeppo.observe.slo.HttpScraper;
import dev.edgeppo.server.AgentRuntime;
import dev.edgeppo.webhook.Admission;
import dev.edgeppo.webhook.AgentClient;
import dev.edgeppo.webhook.NodeDirectory;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.zjsonpatch.JsonPatch;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §5's last bullet end to end: an AdmissionReview goes through the webhook, which asks the real agent
 * ({@code serve} on loopback) and patches the pod with the allocation's id; the pod then exists in the API
 * server (fabric8's mock in CRUD mode: a mock, not a kube-apiserver) on the agent's node; the agent's watch
 * binds it to its allocation and observes it, with the objective the pod declares, to its feedback.
 */
class WebhookPodObservedTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String POD_UID = "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
  @TempDir Path tmp;

  @Test
  void anAdmittedPodIsBoundToItsAllocationAndObserved() throws Exception {
    // Triton-style counter: 40 more inferences at each scrape.
    PodMetricsEndpoint endpoint = PodMetricsEndpoint.start(
        k -> "# TYPE nv_inference_count counter\nnv_inference_count{model=\"resnet\",version=\"1\"} " + 40 * k + "\n");
    try (MockApi api = new MockApi(); FakeKubelet kubelet = new FakeKubelet()) {
      api.client.nodes().resource(new NodeBuilder().withNewMetadata().withName(MockApi.NODE).addToLabels("kubernetes.io/hostname", MockApi.NODE)
          .endMetadata().withNewStatus().addNewAddress().withType("InternalIP").withAddress("127.0.0.1").endAddress().endStatus().build()).create();
      AgentRuntime rt = api.startServeWithDra(tmp);
      try {
        String[] podUid = {POD_UID}; // set to the uid the API server gives the pod
        // Scripted GPU: the pod's process at its whole grant; its own rate objective decides.
        PodObserver observer = PodObserver.of(gpu -> new GpuProcesses(Map.of(10, 500L), Map.of(10, 20.0)), new PodResolver() {
          @Override public String podOf(int pid) { return pid == 10 ? podUid[0] : null; }
          @Override public boolean podAlive(String u) { return true; }
        }, rt.core().observerSink(), Duration.ofSeconds(2), Duration.ofHours(1), InstantSource.system(), new HttpScraper());
        rt.core().observeWith(observer);
        // serve's own watch asks the API server for spec.nodeName=edge-1, which the mock answers with nothing;
        // this one watches every pod and keeps edge-1's itself (the same binding code).
        var watchClient = api.newClient();
        WebhookPods watch = WebhookPods.startFilteringHere(watchClient, MockApi.NODE, rt.core());

        // 1. Admission: the webhook asks the agent on the pinned node and patches the pod.
        ObjectNode review = (ObjectNode) JSON.readTree("""
            {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
             "request": {"uid": "r-1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
               "resource": {"group": "", "version": "v1", "resource": "pods"}, "namespace": "ml", "operation": "CREATE",
               "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "triton", "namespace": "ml", "annotations": {
                   "gpu.edgeppo.dev/cores": "50", "gpu.edgeppo.dev/memory": "2048",
                   "gpu.edgeppo.dev/metrics": "%d/metrics", "gpu.edgeppo.dev/slo": "nv_inference_count:rate>=5"}},
                 "spec": {"nodeName": "%s", "containers": [{"name": "triton", "image": "nvcr.io/nvidia/tritonserver"}]}},
               "dryRun": false}}
            """.formatted(endpoint.port(), MockApi.NODE));
        Admission admission = new Admission(new NodeDirectory(api.client), new AgentClient(rt.port(), null, Duration.ofSeconds(5)));
        JsonNode answer = admission.review(review);
        JsonNode patch = JSON.readTree(Base64.getDecoder().decode(answer.path("response").path("patch").asText()));
        tools.jackson.databind.ObjectMapper j3 = new tools.jackson.databind.ObjectMapper();
        JsonNode patched = JSON.readTree(JsonPatch.apply(j3.readTree(patch.toString()),
            j3.readTree(review.path("request").path("object").toString())).toString());
        Map<String, String> annotations = new LinkedHashMap<>();
        patched.path("metadata").path("annotations").properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asText()));
        String id = annotations.get(Admission.ALLOCATION_ID);
        assertNotNull(id, "the patch carries the allocation's id: " + annotations);
        assertEquals(null, rt.core().allocation(id).orElseThrow().record().podUid(), "at admission the pod has no uid");

        // 2. The pod exists on the node (the API server gives it its uid), then gets its IP.
        Pod pod = api.client.pods().inNamespace("ml").resource(new PodBuilder().withNewMetadata().withNamespace("ml").withName("triton")
            .withUid(POD_UID).withAnnotations(annotations).endMetadata()
            .withNewSpec().withNodeName(MockApi.NODE).addNewContainer().withName("triton").withImage("tritonserver").endContainer().endSpec()
            .withNewStatus().withPodIP("127.0.0.1").endStatus().build()).create();
        podUid[0] = pod.getMetadata().getUid();
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (rt.core().allocation(id).orElseThrow().record().podUid() == null) {
          if (System.nanoTime() > until) throw new AssertionError("the agent never bound pod " + pod.getMetadata().getUid());
          Thread.sleep(20);
        }
        String uid = pod.getMetadata().getUid(); // the mock gives its own uid
        assertEquals(uid, rt.core().allocation(id).orElseThrow().record().podUid());
        assertEquals(1, watch.bound());
        assertEquals(1, observer.observing());

        // 3. Observed like any other: three readings, three scrapes, then the pod is deleted (its end).
        observer.tick();
        Thread.sleep(50);
        observer.tick();
        Thread.sleep(50);
        observer.tick();
        api.client.pods().inNamespace("ml").withName("triton").delete();
        until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (rt.core().allocation(id).orElseThrow().answer() == null) {
          if (System.nanoTime() > until) throw new AssertionError("no feedback after the pod was deleted");
          Thread.sleep(20);
        }
        var v = rt.core().allocation(id).orElseThrow();
        assertEquals(AllocationTable.Source.OBSERVED, v.answer().source());
        assertTrue(v.answer().done(), "the pod's deletion ended it");
        assertEquals(20.0, v.answer().actualUsage(), 1e-9);
        var slo = v.observation().slo();
        assertNotNull(slo, v.observation().why().toString());
        assertEquals("nv_inference_count:rate>=5", slo.objective().text());
        assertEquals(3, slo.scrapes());
        assertTrue(slo.value() > 5, "80 inferences over the two periods between scrapes (~0.1 s): " + slo.value());
        assertTrue(v.answer().qosMet());
        watch.close();
        watchClient.close();
      } finally {
        rt.close();
      }
    } finally {
      endpoint.close();
    }
  }
}
