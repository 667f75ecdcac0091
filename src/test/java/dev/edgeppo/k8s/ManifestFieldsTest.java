package dev.edgeppo.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

/**
 * Every field name in deploy/*.yaml is one Kubernetes knows. The schema check of `make manifests`
 * (kubernetes-models) checks types, required fields and enums, but like the OpenAPI schemas it compiles it
 * lets an unknown field through, and a misspelt field (`hostPid`) is silently dropped by the API server. Here
 * each document is read into fabric8's model of its kind (generated from the same API), where a field the
 * model does not know lands in an {@code additionalProperties} map: any such entry fails.
 */
class ManifestFieldsTest {
  static final Path DEPLOY = Path.of("deploy");
  static final KubernetesSerialization K8S = new KubernetesSerialization();

  static List<String> documents(Path file) throws IOException {
    List<String> docs = new ArrayList<>();
    for (String d : Files.readString(file).split("(?m)^---\\s*$")) if (d.lines().anyMatch(l -> l.startsWith("kind:"))) docs.add(d);
    return docs;
  }

  /** Paths of fields the model did not know, in {@code o} and below. */
  static List<String> unknownFields(Object o) {
    List<String> out = new ArrayList<>();
    walk(o, "", out, new IdentityHashMap<>());
    return out;
  }

  private static void walk(Object o, String path, List<String> out, IdentityHashMap<Object, Boolean> seen) {
    if (o == null || seen.put(o, true) != null) return;
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) walk(e, path + "[" + i++ + "]", out, seen);
      return;
    }
    if (o instanceof Map<?, ?> m) {
      m.forEach((k, v) -> walk(v, path + "." + k, out, seen));
      return;
    }
    if (!o.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) return;
    for (Method g : o.getClass().getMethods()) {
      if (g.getParameterCount() != 0 || !g.getName().startsWith("get") || g.getDeclaringClass() == Object.class) continue;
      Object v;
      try {
        v = g.invoke(o);
      } catch (IllegalAccessException | InvocationTargetException e) {
        continue;
      }
      String field = Character.toLowerCase(g.getName().charAt(3)) + g.getName().substring(4);
      if (field.equals("additionalProperties") && v instanceof Map<?, ?> extra) {
        extra.keySet().forEach(k -> out.add(path + "." + k));
      } else {
        walk(v, path + "." + field, out, seen);
      }
    }
  }

  @Test
  void everyFieldOfEveryManifestIsKnownToKubernetesModel() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(DEPLOY)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertTrue(files.size() >= 5, "manifests found: " + files);
    int checked = 0;
    for (Path f : files) {
      for (String doc : documents(f)) {
        Object o = K8S.unmarshal(doc);
        assertTrue(o instanceof HasMetadata, f + ": not read as a Kubernetes kind: " + (o == null ? null : o.getClass()));
        assertTrue(o.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model"),
            f + ": " + ((HasMetadata) o).getKind() + " read as " + o.getClass().getName() + ", not a typed model");
        assertEquals(List.of(), unknownFields(o), f + " " + ((HasMetadata) o).getKind() + "/" + ((HasMetadata) o).getMetadata().getName());
        checked++;
      }
    }
    assertTrue(checked >= 10, "documents checked: " + checked);
  }

  @Test
  void aMisspeltFieldIsFound() {
    KubernetesResource ds = K8S.unmarshal("""
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: x}
        spec:
          selector: {matchLabels: {a: b}}
          template:
            spec:
              hostPid: true
              containers: [{name: c, image: i, volumeMount: []}]
        """);
    assertEquals(List.of(".spec.template.spec.containers[0].volumeMount", ".spec.template.spec.hostPid"),
        unknownFields(ds).stream().sorted().toList());
  }
}
