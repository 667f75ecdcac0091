package dev.edgeppo.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.zjsonpatch.JsonPatch;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Admission} against fabric8's mock API server (a mock, not a kube-apiserver) holding the Nodes, and
 * stub agents that are real HTTP servers on loopback addresses. Every patch is applied with an independent
 * JSON Patch implementation (zjsonpatch) to the pod it came with, and the result is what is checked.
 */
@EnableKubernetesMockClient(crud = true)
class AdmissionTest {
  static final String TOKEN = "test-token-0123456789abcdef";
  // One mock API server and one pair of agents for the class (a static client makes the extension start the
  // server once); each test re-scripts the agents and forgets what they saw.
  static KubernetesClient client;
  static StubAgent agentA;   // on 127.0.0.1: node "edge-a"
  static StubAgent agentB;   // on 127.0.0.2, same port: node "edge-b-4f2k" whose hostname label is "edge-b"
  Admission admission;

  @BeforeAll
  static void startCluster() throws Exception {
    agentA = new StubAgent("127.0.0.1", 0);
    agentB = new StubAgent("127.0.0.2", agentA.port());
    node("edge-a", "edge-a", "127.0.0.1");
    node("edge-b-4f2k", "edge-b", "127.0.0.2");
    node("edge-gone", "edge-gone", "127.0.0.3");   // nothing listens there
    node("edge-odd", "edge-odd", "not a host");     // an address no URI can hold
  }

  @BeforeEach
  void setUp() {
    for (StubAgent a : new StubAgent[] {agentA, agentB}) {
      a.seen.clear();
      a.hold = null;
    }
    agentA.grants("alloc-a", 40, 2048, 0, "GPU-aaaa");
    agentB.grants("alloc-b", 25, 1024, 1, "GPU-bbbb");
    admission = admission(Duration.ofSeconds(2));
  }

  Admission admission(Duration timeout) {
    return new Admission(new NodeDirectory(client), new AgentClient(agentA.port(), TOKEN, timeout));
  }

  @AfterAll
  static void stopAgents() {
    agentA.close();
    agentB.close();
  }

  static void node(String name, String hostname, String ip) {
    Node n = new NodeBuilder().withNewMetadata().withName(name).addToLabels("kubernetes.io/hostname", hostname).endMetadata()
        .withNewStatus().addNewAddress().withType("Hostname").withAddress(hostname).endAddress()
        .addNewAddress().withType("InternalIP").withAddress(ip).endAddress().endStatus().build();
    // createOr: a POST retried by the client after a slow answer (a loaded machine) must not fail the class.
    client.nodes().resource(n).createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
  }

  /** The pod after the answer's patch, applied by zjsonpatch. */
  static JsonNode patched(ObjectNode review, JsonNode answer) {
    tools.jackson.databind.ObjectMapper j3 = new tools.jackson.databind.ObjectMapper();
    tools.jackson.databind.JsonNode pod = j3.readTree(review.path("request").path("object").toString());
    tools.jackson.databind.JsonNode out = JsonPatch.apply(j3.readTree(Reviews.patch(answer).toString()), pod);
    try {
      return Reviews.JSON.readTree(out.toString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static Map<String, String> env(JsonNode pod, int container) {
    Map<String, String> m = new HashMap<>();
    pod.path("spec").path("containers").path(container).path("env").forEach(e -> m.put(e.get("name").asText(), e.path("value").asText(null)));
    return m;
  }

  static void assertUntouched(JsonNode answer) {
    assertEquals("705ab4f5-6393-11e8-b7cc-42010a800002", answer.path("response").path("uid").asText());
    assertTrue(answer.path("response").path("allowed").asBoolean());
    assertNull(Reviews.patch(answer), "no patch");
    assertTrue(answer.path("response").path("patchType").isMissingNode());
  }

  @Test
  void podPinnedByNodeNameGetsTheAgentsGrantAsEnvCreatingTheEnvArray() {
    ObjectNode review = Reviews.podCreate(Reviews.ask(60, 4096), Reviews.spec("\"nodeName\": \"edge-a\""));
    JsonNode answer = admission.review(review);

    assertEquals("admission.k8s.io/v1", answer.path("apiVersion").asText());
    assertEquals("AdmissionReview", answer.path("kind").asText());
    assertEquals("705ab4f5-6393-11e8-b7cc-42010a800002", answer.path("response").path("uid").asText());
    assertTrue(answer.path("response").path("allowed").asBoolean());
    assertEquals("JSONPatch", answer.path("response").path("patchType").asText());
    JsonNode pod = patched(review, answer);
    assertEquals(Map.of("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE", "40", "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT", "0=2048M",
        "CUDA_DEVICE_SM_LIMIT", "40", "CUDA_DEVICE_MEMORY_LIMIT_0", "2048m"), env(pod, 0));
    JsonNode ann = pod.path("metadata").path("annotations");
    assertEquals("agent", ann.path("gpu.edgeppo.dev/decided-by").asText());
    assertEquals("alloc-a", ann.path("gpu.edgeppo.dev/allocation-id").asText());
    assertEquals("GPU-aaaa", ann.path("gpu.edgeppo.dev/gpu-uuid").asText());
    assertEquals("60", ann.path("gpu.edgeppo.dev/cores").asText(), "the ask stays as it was");

    assertEquals(1, agentA.seen.size());
    assertEquals(0, agentB.seen.size());
    assertEquals("Bearer " + TOKEN, agentA.seen.getFirst().authorization());
    JsonNode sent = agentA.seen.getFirst().body();
    assertEquals(60, sent.path("cores").asInt());
    assertEquals(4096, sent.path("memory").asLong());
    assertEquals("my-namespace/my-pod", sent.path("pod").asText());
  }

  @Test
  void existingEnvIsKeptAVariableOfTheSameNameReplacedAndEveryContainerLimited() {
    String spec = """
        {"nodeName": "edge-a", "containers": [
          {"name": "infer", "image": "i:1", "env": [{"name": "MODEL", "value": "resnet"},
             {"name": "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE", "value": "100"}]},
          {"name": "sidecar", "image": "s:1"}]}""";
    ObjectNode review = Reviews.podCreate(Reviews.ask(60, 4096), spec);
    JsonNode pod = patched(review, admission.review(review));

    JsonNode env0 = pod.path("spec").path("containers").path(0).path("env");
    assertEquals(5, env0.size(), env0.toString());
    assertEquals("MODEL", env0.path(0).path("name").asText());
    assertEquals("resnet", env0.path(0).path("value").asText());
    assertEquals("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE", env0.path(1).path("name").asText(), "replaced in place");
    assertEquals("40", env0.path(1).path("value").asText());
    assertEquals("40", env(pod, 1).get("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"));
    assertEquals("0=2048M", env(pod, 1).get("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"));
    assertEquals(1, agentA.seen.size(), "one allocation per pod");
  }

  @Test
  void hostnameSelectorFindsTheNodeByLabelAndAsksThatNodesAgent() {
    ObjectNode review = Reviews.podCreate(Reviews.ask(30, 1500),
        Reviews.spec("\"nodeSelector\": {\"kubernetes.io/hostname\": \"edge-b\", \"gpu\": \"yes\"}"));
    JsonNode pod = patched(review, admission.review(review));
    assertEquals("25", env(pod, 0).get("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"));
    assertEquals("1024m", env(pod, 0).get("CUDA_DEVICE_MEMORY_LIMIT_0"));
    assertEquals(1, agentB.seen.size());
    assertEquals(0, agentA.seen.size());
  }

  @Test
  void requiredNodeAffinityOnOneHostnamePins() {
    String affinity = """
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
          {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": ["edge-b"]}]}]}}}""";
    ObjectNode review = Reviews.podCreate(Reviews.ask(30, 1500), Reviews.spec(affinity));
    assertEquals("25", env(patched(review, admission.review(review)), 0).get("CUDA_DEVICE_SM_LIMIT"));
    assertEquals(1, agentB.seen.size());
  }

  @Test
  void affinityAllowingTwoNodesIsNotAPinAndIsLeftToDra() {
    String affinity = """
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
          {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": ["edge-a", "edge-b"]}]}]}}}""";
    assertUntouched(admission.review(Reviews.podCreate(Reviews.ask(30, 1500), Reviews.spec(affinity))));
    String twoTerms = """
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
          {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": ["edge-a"]}]},
          {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": ["edge-b"]}]}]}}}""";
    assertUntouched(admission.review(Reviews.podCreate(Reviews.ask(30, 1500), Reviews.spec(twoTerms))));
    assertEquals(0, agentA.seen.size() + agentB.seen.size());
  }

  @Test
  void unpinnedPodOrPodWithoutAnAskIsUntouchedAndNoAgentIsAsked() {
    assertUntouched(admission.review(Reviews.podCreate(Reviews.ask(60, 4096), Reviews.spec(""))));
    assertUntouched(admission.review(Reviews.podCreate("{}", Reviews.spec("\"nodeName\": \"edge-a\""))));
    assertUntouched(admission.review(Reviews.podCreate("{\"other\": \"x\"}", Reviews.spec("\"nodeName\": \"edge-a\""))));
    assertEquals(0, agentA.seen.size() + agentB.seen.size());
  }

  @Test
  void otherOperationsAndKindsAreUntouched() {
    ObjectNode update = Reviews.podCreate(Reviews.ask(60, 4096), Reviews.spec("\"nodeName\": \"edge-a\""));
    ((ObjectNode) update.get("request")).put("operation", "UPDATE");
    assertUntouched(admission.review(update));
    ObjectNode binding = Reviews.podCreate(Reviews.ask(60, 4096), Reviews.spec("\"nodeName\": \"edge-a\""));
    ((ObjectNode) binding.get("request")).put("subResource", "binding");
    assertUntouched(admission.review(binding));
    ObjectNode deployment = Reviews.podCreate(Reviews.ask(60, 4096), Reviews.spec("\"nodeName\": \"edge-a\""));
    ((ObjectNode) deployment.get("request").get("resource")).put("resource", "deployments");
    assertUntouched(admission.review(deployment));
    assertEquals(0, agentA.seen.size());
  }

  @Test
  void aMalformedAskIsAllowedUnpatchedWithAWarningNamingTheKey() {
    JsonNode a = admission.review(Reviews.podCreate("{\"gpu.edgeppo.dev/cores\": \"lots\", \"gpu.edgeppo.dev/memory\": \"10\"}",
        Reviews.spec("\"nodeName\": \"edge-a\"")));
    assertUntouched(a);
    assertTrue(a.path("response").path("warnings").path(0).asText().contains("gpu.edgeppo.dev/cores"), a.toString());
    JsonNode b = admission.review(Reviews.podCreate("{\"gpu.edgeppo.dev/cores\": \"101\", \"gpu.edgeppo.dev/memory\": \"10\"}",
        Reviews.spec("\"nodeName\": \"edge-a\"")));
    assertUntouched(b);
    assertTrue(b.path("response").path("warnings").path(0).asText().contains("1..100"), b.toString());
    JsonNode c = admission.review(Reviews.podCreate("{\"gpu.edgeppo.dev/cores\": \"50\"}", Reviews.spec("\"nodeName\": \"edge-a\"")));
    assertTrue(c.path("response").path("warnings").path(0).asText().contains("gpu.edgeppo.dev/memory is missing"), c.toString());
    assertEquals(0, agentA.seen.size());
  }

  /** The failure policy: no decision from the agent, the pod gets its ask, allowed, with a warning. */
  void assertGetsItsAsk(JsonNode answer, ObjectNode review) {
    assertTrue(answer.path("response").path("allowed").asBoolean());
    JsonNode pod = patched(review, answer);
    assertEquals("60", env(pod, 0).get("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"));
    assertEquals("0=4096M", env(pod, 0).get("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"));
    assertEquals("ask", pod.path("metadata").path("annotations").path("gpu.edgeppo.dev/decided-by").asText());
    assertTrue(pod.path("metadata").path("annotations").path("gpu.edgeppo.dev/allocation-id").isMissingNode());
    assertTrue(answer.path("response").path("warnings").path(0).asText().contains("the pod gets its ask"), answer.toString());
  }

  @Test
  void aDryRunGetsTheAskAndAsksNoAgent() {
    ObjectNode review = Reviews.podCreate(Reviews.ask(60, 4096), Reviews.spec("\"nodeName\": \"edge-a\""));
    ((ObjectNode) review.get("request")).put("dryRun", true);
    JsonNode pod = patched(review, admission.review(review));
    assertEquals("60", env(pod, 0).get("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"));
    assertEquals("ask", pod.path("metadata").path("annotations").path("gpu.edgeppo.dev/decided-by").asText());
    assertEquals(0, agentA.seen.size());
  }

  @Test
  void absentAgentGivesTheAsk() {
    ObjectNode review = Reviews.podCreate(Reviews.ask(60, 4096), Reviews.spec("\"nodeName\": \"edge-gone\""));
    assertGetsItsAsk(admission.review(review), review);
  }

  @Test
  void anUnforeseenFailureGivesTheAskToo() {
    ObjectNode review = Reviews.podCreate(Reviews.ask(60, 4096), Reviews.spec("\"nodeName\": \"edge-odd\""));
    assertGetsItsAsk(admission.review(review), review);
  }

  @Test
  void unknownNodeGivesTheAsk() {
    ObjectNode review = Reviews.podCreate(Reviews.ask(60, 4096), Reviews.spec("\"nodeName\": \"no-such-node\""));
    JsonNode answer = admission.review(review);
    assertGetsItsAsk(answer, review);
    assertTrue(answer.path("response").path("warnings").path(0).asText().contains("no node named no-such-node"), answer.toString());
  }

  @Test
  void agentErrorsAndMalformedAnswersGiveTheAsk() {
    ObjectNode review = Reviews.podCreate(Reviews.ask(60, 4096), Reviews.spec("\"nodeName\": \"edge-a\""));
    agentA.status = 503;
    agentA.body = "{\"error\":\"not ready\"}";
    JsonNode answer = admission.review(review);
    assertGetsItsAsk(answer, review);
    assertTrue(answer.path("response").path("warnings").path(0).asText().contains("503"), answer.toString());
    agentA.status = 200;
    agentA.body = "<html>proxy</html>";
    assertGetsItsAsk(admission.review(review), review);
    agentA.body = "{\"cores\": 10}";
    assertGetsItsAsk(admission.review(review), review);
  }

  @Test
  void aSlowAgentDoesNotHoldTheAnswer() {
    CountDownLatch never = new CountDownLatch(1);
    agentA.hold = never;
    try {
      slowAgent(never);
    } finally {
      never.countDown();
    }
  }

  private void slowAgent(CountDownLatch never) {
    ObjectNode review = Reviews.podCreate(Reviews.ask(60, 4096), Reviews.spec("\"nodeName\": \"edge-a\""));
    JsonNode answer = admission(Duration.ofMillis(300)).review(review);
    // The answer came while the agent was still holding its own: it cannot have come from the agent.
    assertEquals(1, never.getCount());
    assertEquals(1, agentA.seen.size());
    assertGetsItsAsk(answer, review);
  }

  @Test
  void aGrantAboveTheAskIsCappedAtTheAsk() {
    agentA.grants("alloc-x", 100, 99999, 0, "GPU-aaaa");
    ObjectNode review = Reviews.podCreate(Reviews.ask(60, 4096), Reviews.spec("\"nodeName\": \"edge-a\""));
    JsonNode pod = patched(review, admission.review(review));
    assertEquals("60", env(pod, 0).get("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"));
    assertEquals("4096m", env(pod, 0).get("CUDA_DEVICE_MEMORY_LIMIT_0"));
  }

  @Test
  void notAnAdmissionReviewIsRejectedAsBadInput() throws Exception {
    assertThrows(Admission.BadReview.class, () -> admission.review(Reviews.JSON.readTree("[]")));
    ObjectNode v1beta1 = Reviews.podCreate(Reviews.ask(60, 4096), Reviews.spec("\"nodeName\": \"edge-a\""));
    v1beta1.put("apiVersion", "admission.k8s.io/v1beta1");
    assertThrows(Admission.BadReview.class, () -> admission.review(v1beta1));
    ObjectNode noUid = Reviews.podCreate(Reviews.ask(60, 4096), Reviews.spec("\"nodeName\": \"edge-a\""));
    ((ObjectNode) noUid.get("request")).remove("uid");
    assertThrows(Admission.BadReview.class, () -> admission.review(noUid));
    assertFalse(agentA.seen.size() > 0);
  }
}
