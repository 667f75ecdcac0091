package dev.edgeppo.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeppo.json.Json;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.net.HttpURLConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The fleet's objects in the API server: FleetPolicy custom resources (deploy/ ships the CRD) in one
 * namespace, through fabric8's generic resources with the plural given (no discovery call, so RBAC needs
 * nothing but the fleetpolicies verbs). {@code replace} sends the resourceVersion it was given, and the API
 * server answers 409 when the object moved on: {@link FleetStore.Conflict}. Anything else that fails
 * (unreachable, 5xx, 401/403, timeouts) is {@link FleetStore.Unavailable}: the agent learns alone and retries.
 */
public final class KubeFleetStore implements FleetStore {
  static final ResourceDefinitionContext CONTEXT = new ResourceDefinitionContext.Builder()
      .withGroup(FleetNames.GROUP).withVersion(FleetNames.VERSION).withKind(FleetNames.KIND).withPlural(FleetNames.PLURAL)
      .withNamespaced(true).build();

  private final KubernetesClient client;
  private final String namespace;

  /** Takes ownership of {@code client} (closed with the store). */
  public KubeFleetStore(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  private io.fabric8.kubernetes.client.dsl.MixedOperation<GenericKubernetesResource, io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
      io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> objects() {
    return client.genericKubernetesResources(CONTEXT);
  }

  @Override
  public List<Stored> list(String fleet) throws Unavailable {
    try {
      List<Stored> out = new ArrayList<>();
      for (GenericKubernetesResource r : objects().inNamespace(namespace).withLabel(FleetNames.FLEET_LABEL, fleet).list().getItems())
        out.add(stored(r));
      return out;
    } catch (KubernetesClientException e) {
      throw unavailable("list", e);
    }
  }

  @Override
  public Optional<Stored> get(String name) throws Unavailable {
    try {
      GenericKubernetesResource r = objects().inNamespace(namespace).withName(name).get();
      return Optional.ofNullable(r).map(KubeFleetStore::stored);
    } catch (KubernetesClientException e) {
      throw unavailable("get " + name, e);
    }
  }

  @Override
  public Stored create(String name, String fleet, String agent, JsonNode spec) throws Conflict, Unavailable {
    try {
      return stored(objects().inNamespace(namespace).resource(resource(name, null, fleet, agent, spec)).create());
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) throw new Conflict(name + " already exists");
      throw unavailable("create " + name, e);
    }
  }

  @Override
  public Stored replace(String name, String resourceVersion, String fleet, String agent, JsonNode spec) throws Conflict, Unavailable {
    try {
      // update() sends the object with its resourceVersion: the API server's optimistic concurrency check.
      return stored(objects().inNamespace(namespace).resource(resource(name, resourceVersion, fleet, agent, spec)).update());
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT || e.getCode() == HttpURLConnection.HTTP_NOT_FOUND)
        throw new Conflict(name + ": HTTP " + e.getCode() + " " + e.getMessage());
      throw unavailable("replace " + name, e);
    }
  }

  /** A JSON merge patch of spec.publishedAt; with the resourceVersion in it the API server refuses it (409) if the object moved on. */
  static String touchPatch(String resourceVersion, java.time.Instant at) {
    return "{\"metadata\":{\"resourceVersion\":\"" + resourceVersion + "\"},\"spec\":{\"publishedAt\":\"" + at + "\"}}";
  }

  @Override
  public Stored touch(String name, String resourceVersion, java.time.Instant at) throws Conflict, Unavailable {
    try {
      return stored(objects().inNamespace(namespace).withName(name)
          .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
              touchPatch(resourceVersion, at)));
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT || e.getCode() == HttpURLConnection.HTTP_NOT_FOUND)
        throw new Conflict(name + ": HTTP " + e.getCode() + " " + e.getMessage());
      throw unavailable("touch " + name, e);
    }
  }

  private GenericKubernetesResource resource(String name, String resourceVersion, String fleet, String agent, JsonNode spec) {
    GenericKubernetesResource r = new GenericKubernetesResourceBuilder().withApiVersion(FleetNames.API_VERSION).withKind(FleetNames.KIND)
        .withNewMetadata().withName(name).withNamespace(namespace).withResourceVersion(resourceVersion)
        .withLabels(Map.of(FleetNames.FLEET_LABEL, fleet, FleetNames.AGENT_LABEL, agent)).endMetadata().build();
    r.setAdditionalProperty("spec", Json.MAPPER.convertValue(spec, Map.class));
    return r;
  }

  private static Stored stored(GenericKubernetesResource r) {
    ObjectMeta m = r.getMetadata();
    JsonNode spec = Json.MAPPER.valueToTree(r.getAdditionalProperties().get("spec"));
    String agent = m.getLabels() == null ? null : m.getLabels().get(FleetNames.AGENT_LABEL);
    int bytes;
    try {
      bytes = Json.MAPPER.writeValueAsString(r).length();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      bytes = Integer.MAX_VALUE;
    }
    return new Stored(m.getName(), m.getResourceVersion(), agent, spec, bytes);
  }

  private Unavailable unavailable(String what, KubernetesClientException e) {
    String why = e.getCode() > 0 ? "HTTP " + e.getCode() + ": " + e.getMessage() : String.valueOf(e.getMessage());
    return new Unavailable(what + " in namespace " + namespace + " failed: " + why, e);
  }

  @Override
  public String describe() { return "FleetPolicy objects in namespace " + namespace + " at " + client.getMasterUrl(); }

  @Override
  public void close() { client.close(); }
}
