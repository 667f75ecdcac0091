package dev.edgeppo.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * deploy/10-rbac.yaml's fleet Role grants exactly the verbs an agent uses on FleetPolicy objects: the agent runs a
 * whole life against the mock API server (first write, a whole rewrite, a heartbeat, a conflict, reads of the
 * fleet), every request the server saw is turned into the verb an API server would authorise it as, and the set
 * is compared with the Role's. A verb missing from the Role is a 403 in a real cluster (the heartbeat's merge patch
 * once was); one granted but never used is privilege nobody needs.
 */
class FleetRbacTest {
  static final Path RBAC = Path.of("deploy", "10-rbac.yaml");
  static final String FLEET_ROLE = "edgeppo-agent-fleet";

  @Test
  void theFleetRoleGrantsExactlyTheVerbsAnAgentUses() throws Exception {
    Set<String> used = new TreeSet<>();
    try (MockFleetApi api = new MockFleetApi()) {
      AtomicLong seconds = new AtomicLong(1_000_000);
      ArrayLearner a = new ArrayLearner(0, 0), b = new ArrayLearner(0, 0);
      FleetMember ma = new FleetMember(api.store(), a, FleetMember.Settings.forPeriod("edge", "node-a", Duration.ofSeconds(60), 1,
          () -> Instant.ofEpochSecond(seconds.get())));
      FleetMember mb = new FleetMember(api.store(), b, FleetMember.Settings.forPeriod("edge", "node-b", Duration.ofSeconds(60), 1,
          () -> Instant.ofEpochSecond(seconds.get())));
      api.drainRequests();
      a.train(1, 0);
      b.train(0, 1);
      ma.sync(); // creates its object, reads the fleet
      mb.sync();
      ma.sync(); // merges b's
      a.train(1, 1);
      ma.sync(); // a whole rewrite
      seconds.addAndGet(200);
      ma.sync(); // nothing learned for three periods: the heartbeat
      for (RecordedRequest r : api.drainRequests()) used.add(verb(r));
      // Our object written behind our back (kubectl edit: not the agent's requests, so drained and dropped);
      // the next heartbeat conflicts, and the agent reads its object and writes it whole.
      try (KubernetesClient k = api.client()) {
        var objects = k.genericKubernetesResources(KubeFleetStore.CONTEXT).inNamespace(MockFleetApi.NAMESPACE);
        GenericKubernetesResource r = objects.withName(ma.objectName()).get();
        r.getMetadata().setAnnotations(Map.of("touched", "by someone else"));
        objects.resource(r).update();
      }
      api.drainRequests();
      seconds.addAndGet(200);
      ma.sync();
      assertEquals(1, ma.conflicts(), "the heartbeat met the other writer's version");
      for (RecordedRequest r : api.drainRequests()) used.add(verb(r));
    }
    assertEquals(grantedToTheAgent(), used, "verbs the fleet Role grants (expected) against those an agent used (actual)");
  }

  /** The RBAC verb an API server checks for a request on a namespaced custom resource. */
  static String verb(RecordedRequest r) {
    String path = r.getPath(), query = "";
    int q = path.indexOf('?');
    if (q >= 0) {
      query = path.substring(q + 1);
      path = path.substring(0, q);
    }
    String collection = "/apis/" + FleetNames.GROUP + "/" + FleetNames.VERSION + "/namespaces/" + MockFleetApi.NAMESPACE + "/" + FleetNames.PLURAL;
    if (!path.startsWith(collection)) throw new AssertionError("the agent asked for something that is not a FleetPolicy: " + r.getRequestLine());
    boolean named = path.length() > collection.length();
    return switch (r.getMethod()) {
      case "GET" -> query.contains("watch=true") ? "watch" : named ? "get" : "list";
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> named ? "delete" : "deletecollection";
      default -> throw new AssertionError("unexpected method " + r.getRequestLine());
    };
  }

  static Set<String> grantedToTheAgent() throws Exception {
    Set<String> verbs = new TreeSet<>();
    KubernetesSerialization k8s = new KubernetesSerialization();
    for (String doc : Files.readString(RBAC).split("(?m)^---$")) {
      if (doc.isBlank() || !doc.contains("kind: Role\n")) continue;
      Role role = k8s.unmarshal(doc, Role.class);
      if (!FLEET_ROLE.equals(role.getMetadata().getName())) continue;
      for (PolicyRule rule : role.getRules())
        if (rule.getApiGroups().contains(FleetNames.GROUP) && rule.getResources().contains(FleetNames.PLURAL)) verbs.addAll(rule.getVerbs());
    }
    if (verbs.isEmpty()) throw new AssertionError(RBAC + " has no Role " + FLEET_ROLE + " granting anything on " + FleetNames.PLURAL);
    return verbs;
  }
}
