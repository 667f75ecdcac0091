package dev.edgeppo.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeppo.k8s.ShareLimits;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The webhook's decision for one AdmissionReview v1 (SPEC §5): a pod created pinned to a node
 * ({@link NodePin}) that asks for a GPU share ({@link GpuAsk}) gets the limits of that node's agent as
 * environment variables ({@link ShareLimits}) in every app container, through a JSONPatch; every other object
 * is allowed untouched, left to DRA. The webhook never denies.
 *
 * <p>Failure policy: when the node or its agent cannot be reached in time, or the agent's answer is
 * unusable, the pod gets its ask as its limits (never nothing, never a rejection), and the response says so
 * in a warning and in the annotation {@value #DECIDED_BY}. A dry run gets the ask too, and asks no agent
 * (the configuration's {@code sideEffects: NoneOnDryRun}).
 */
public final class Admission {
  private static final Logger LOG = Logger.getLogger(Admission.class.getName());
  private static final ObjectMapper JSON = dev.edgeppo.json.Json.MAPPER;
  private static final KubernetesSerialization K8S = new KubernetesSerialization();

  public static final String API_VERSION = "admission.k8s.io/v1";
  /** "agent" or "ask", with the reason for the latter. */
  public static final String DECIDED_BY = GpuAsk.PREFIX + "decided-by";
  public static final String ALLOCATION_ID = GpuAsk.PREFIX + "allocation-id";
  public static final String GPU_UUID = GpuAsk.PREFIX + "gpu-uuid";

  private final NodeDirectory nodes;
  private final AgentClient agent;

  public Admission(NodeDirectory nodes, AgentClient agent) {
    this.nodes = nodes;
    this.agent = agent;
  }

  /** A request that is not an AdmissionReview v1: answered 400, the API server then applies its failurePolicy. */
  public static final class BadReview extends RuntimeException {
    public BadReview(String message) {
      super(message);
    }
  }

  /** The AdmissionReview v1 to answer {@code review} with. */
  public ObjectNode review(JsonNode review) {
    if (review == null || !review.isObject()) throw new BadReview("body is not a JSON object");
    if (!API_VERSION.equals(review.path("apiVersion").asText()) || !"AdmissionReview".equals(review.path("kind").asText())) {
      throw new BadReview("expected apiVersion " + API_VERSION + " kind AdmissionReview, got "
          + review.path("apiVersion").asText("<none>") + " " + review.path("kind").asText("<none>"));
    }
    JsonNode request = review.path("request");
    if (!request.path("uid").isTextual() || request.path("uid").asText().isEmpty()) {
      throw new BadReview("request.uid is missing");
    }
    ObjectNode response = JSON.createObjectNode().put("uid", request.get("uid").asText()).put("allowed", true);
    ObjectNode out = JSON.createObjectNode().put("apiVersion", API_VERSION).put("kind", "AdmissionReview");
    out.set("response", response);
    decide(request, response);
    return out;
  }

  private void decide(JsonNode request, ObjectNode response) {
    boolean podCreate = "CREATE".equals(request.path("operation").asText())
        && "pods".equals(request.path("resource").path("resource").asText())
        && request.path("subResource").asText("").isEmpty()
        && request.path("object").isObject();
    if (!podCreate) return;
    Pod pod;
    try {
      pod = K8S.unmarshal(request.get("object").toString(), Pod.class);
    } catch (RuntimeException e) {
      warn(response, "edgeppo: the pod could not be read, left unchanged: " + e.getMessage());
      return;
    }
    Optional<GpuAsk> ask;
    try {
      ask = GpuAsk.from(pod.getMetadata() == null ? null : pod.getMetadata().getAnnotations());
    } catch (IllegalArgumentException e) {
      warn(response, "edgeppo: " + e.getMessage() + "; no GPU limits set");
      return;
    }
    Optional<NodePin> pin = NodePin.of(pod.getSpec());
    if (ask.isEmpty() || pin.isEmpty()) return;
    if (pod.getSpec().getContainers() == null || pod.getSpec().getContainers().isEmpty()) return;

    String namespace = firstNonBlank(pod.getMetadata().getNamespace(), request.path("namespace").asText(null));
    String name = firstNonBlank(pod.getMetadata().getName(), request.path("name").asText(null),
        pod.getMetadata().getGenerateName() == null ? null : pod.getMetadata().getGenerateName() + "*");
    String podRef = (namespace == null ? "" : namespace + "/") + (name == null ? "" : name);

    int cores = ask.get().cores();
    long memory = ask.get().memoryMb();
    ArrayNode patch = JSON.createArrayNode();
    if (request.path("dryRun").asBoolean(false)) {
      // sideEffects: NoneOnDryRun: a dry run shows the patch's shape with the ask, and no agent allocates.
      annotate(patch, DECIDED_BY, "ask");
    } else try {
      String host = nodes.address(pin.get());
      AgentClient.Grant g = agent.allocate(host, ask.get(), podRef, pod.getMetadata().getUid());
      // The agent never grants above the ask (SPEC §1); kept so here whatever it answers.
      cores = Math.max(1, Math.min(g.cores(), cores));
      memory = Math.max(1, Math.min(g.memoryMb(), memory));
      annotate(patch, DECIDED_BY, "agent");
      annotate(patch, ALLOCATION_ID, g.allocationId());
      if (g.gpuUuid() != null) annotate(patch, GPU_UUID, g.gpuUuid());
      LOG.info(() -> "pod " + podRef + " on " + pin.get().value() + ": agent granted " + g.cores() + "% "
          + g.memoryMb() + " MB of " + ask.get().cores() + "% " + ask.get().memoryMb() + " MB (" + g.allocationId() + ")");
    } catch (RuntimeException e) {
      // Whatever went wrong (no node, no agent, the API server or the client failing in a way not foreseen):
      // the failure policy is the ask, never an unanswered review.
      annotate(patch, DECIDED_BY, "ask");
      warn(response, "edgeppo: no decision from the node's agent (" + e.getMessage() + "); the pod gets its ask");
      LOG.log(Level.WARNING, "pod " + podRef + ": no decision from the agent, the pod gets its ask: " + e.getMessage());
    }
    Map<String, String> env = ShareLimits.env(cores, memory);
    List<Container> containers = pod.getSpec().getContainers();
    for (int i = 0; i < containers.size(); i++) setEnv(patch, i, containers.get(i).getEnv(), env);
    response.put("patchType", "JSONPatch");
    response.put("patch", Base64.getEncoder().encodeToString(patch.toString().getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Adds {@code env} to container {@code i}: the {@code env} array is created when the container has none; a
   * variable of the same name is replaced in place (a second entry of the same name would leave which one wins
   * to the runtime); others are appended.
   */
  static void setEnv(ArrayNode patch, int i, List<EnvVar> existing, Map<String, String> env) {
    String base = "/spec/containers/" + i + "/env";
    if (existing == null || existing.isEmpty()) {
      ArrayNode arr = JSON.createArrayNode();
      env.forEach((k, v) -> arr.addObject().put("name", k).put("value", v));
      patch.addObject().put("op", "add").put("path", base).set("value", arr);
      return;
    }
    List<String> names = new ArrayList<>();
    existing.forEach(e -> names.add(e.getName()));
    env.forEach((k, v) -> {
      int j = names.indexOf(k);
      ObjectNode value = JSON.createObjectNode().put("name", k).put("value", v);
      if (j >= 0) patch.addObject().put("op", "replace").put("path", base + "/" + j).set("value", value);
      else patch.addObject().put("op", "add").put("path", base + "/-").set("value", value);
    });
  }

  /** The annotations exist: the ask is in them. "/" in a key is "~1" in a JSON pointer (RFC 6901). */
  private static void annotate(ArrayNode patch, String key, String value) {
    patch.addObject().put("op", "add").put("path", "/metadata/annotations/" + key.replace("~", "~0").replace("/", "~1"))
        .put("value", value);
  }

  private static void warn(ObjectNode response, String warning) {
    JsonNode w = response.get("warnings");
    ArrayNode arr = w instanceof ArrayNode a ? a : response.putArray("warnings");
    arr.add(warning);
  }

  private static String firstNonBlank(String... values) {
    for (String v : values) if (v != null && !v.isBlank()) return v;
    return null;
  }
}
