package dev.edgeppo.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;

/**
 * AdmissionReview v1 bodies shaped like the example request in Kubernetes' documentation ("Dynamic
 * Admission Control", "Request"): the same fields, with a Pod as the object.
 */
final class Reviews {
  static final ObjectMapper JSON = new ObjectMapper();

  private Reviews() {}

  static final String TEMPLATE = """
      {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
          "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
          "kind": {"group": "", "version": "v1", "kind": "Pod"},
          "resource": {"group": "", "version": "v1", "resource": "pods"},
          "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
          "requestResource": {"group": "", "version": "v1", "resource": "pods"},
          "name": "my-pod",
          "namespace": "my-namespace",
          "operation": "CREATE",
          "userInfo": {
            "username": "admin",
            "uid": "014fbff9a07c",
            "groups": ["system:authenticated", "my-admin-group"],
            "extra": {"some-key": ["some-value1", "some-value2"]}
          },
          "object": {},
          "oldObject": null,
          "dryRun": false,
          "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}
        }
      }
      """;

  /** A pod named my-pod in my-namespace; {@code spec} is the pod's spec as JSON. */
  static ObjectNode podCreate(String annotationsJson, String specJson) {
    try {
      ObjectNode review = (ObjectNode) JSON.readTree(TEMPLATE);
      ObjectNode pod = (ObjectNode) JSON.readTree("""
          {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "my-pod", "namespace": "my-namespace", "annotations": %s},
           "spec": %s}
          """.formatted(annotationsJson, specJson));
      ((ObjectNode) review.get("request")).set("object", pod);
      return review;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String ask(int cores, long memory) {
    return "{\"gpu.edgeppo.dev/cores\": \"" + cores + "\", \"gpu.edgeppo.dev/memory\": \"" + memory + "\"}";
  }

  static final String ONE_CONTAINER = """
      {"containers": [{"name": "infer", "image": "registry.example/infer:1"}]%s}""";

  static String spec(String pinning) {
    return ONE_CONTAINER.formatted(pinning.isEmpty() ? "" : ", " + pinning);
  }

  /** The JSONPatch of an answer, decoded; null when it has none. */
  static JsonNode patch(JsonNode answer) {
    JsonNode p = answer.path("response").path("patch");
    if (p.isMissingNode()) return null;
    try {
      return JSON.readTree(Base64.getDecoder().decode(p.asText()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
