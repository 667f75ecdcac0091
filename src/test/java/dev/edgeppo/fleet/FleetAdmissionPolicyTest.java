package dev.edgeppo.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.types.SimpleType;
import dev.cel.extensions.CelExtensions;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.Validation;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.Variable;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * deploy/16-fleetpolicy-admission.yaml's CEL, evaluated with cel-java (the same language as the API server's
 * cel-go, with the strings extension Kubernetes enables) on the admission requests an API server would hand it:
 * an agent may create and update the one FleetPolicy of its own node, named as {@link FleetNames#objectName} names
 * it, and nothing else; people and controllers are not bound. The evaluator below follows the API server's order:
 * match conditions, then the variables, then every validation (a denial lists the messages of those that failed).
 */
class FleetAdmissionPolicyTest {
  static final Path POLICY = Path.of("deploy", "16-fleetpolicy-admission.yaml");
  static final Path DAEMONSET = Path.of("deploy", "30-daemonset.yaml");
  static final String NODE_EXTRA = "authentication.kubernetes.io/node-name";

  static final Cel CEL = CelFactory.standardCelBuilder()
      .addVar("object", SimpleType.DYN).addVar("oldObject", SimpleType.DYN).addVar("request", SimpleType.DYN)
      .addVar("variables", SimpleType.DYN).setStandardMacros(dev.cel.parser.CelStandardMacro.STANDARD_MACROS)
      .addCompilerLibraries(CelExtensions.strings()).addRuntimeLibraries(CelExtensions.strings())
      .build();

  /** What the API server decided: not bound (the policy does not apply), allowed, or denied with these messages. */
  record Decision(boolean matched, List<String> denials) {
    boolean allowed() { return denials.isEmpty(); }
  }

  static List<Object> documents(Path file, Class<?>... kinds) throws Exception {
    KubernetesSerialization k8s = new KubernetesSerialization();
    List<Object> out = new ArrayList<>();
    for (String doc : Files.readString(file).split("(?m)^---$")) {
      if (doc.isBlank()) continue;
      for (Class<?> k : kinds) if (doc.contains("\nkind: " + k.getSimpleName() + "\n") || doc.startsWith("kind: " + k.getSimpleName() + "\n"))
        out.add(k8s.unmarshal(doc, k));
    }
    return out;
  }

  static ValidatingAdmissionPolicy policy() throws Exception {
    List<Object> ds = documents(POLICY, ValidatingAdmissionPolicy.class);
    assertEquals(1, ds.size(), "one ValidatingAdmissionPolicy in " + POLICY);
    return (ValidatingAdmissionPolicy) ds.getFirst();
  }

  static Object eval(String expression, Map<String, Object> vars) throws Exception {
    return CEL.createProgram(CEL.compile(expression).getAst()).eval(vars);
  }

  static Decision admit(Map<String, Object> request, Map<String, Object> object, Map<String, Object> oldObject) throws Exception {
    ValidatingAdmissionPolicy p = policy();
    Map<String, Object> vars = new HashMap<>();
    vars.put("request", request);
    vars.put("object", object);
    vars.put("oldObject", oldObject == null ? dev.cel.common.values.NullValue.NULL_VALUE : oldObject);
    for (var m : p.getSpec().getMatchConditions())
      if (!Boolean.TRUE.equals(eval(m.getExpression(), vars))) return new Decision(false, List.of());
    Map<String, Object> variables = new LinkedHashMap<>();
    vars.put("variables", variables);
    for (Variable v : p.getSpec().getVariables()) variables.put(v.getName(), eval(v.getExpression(), vars));
    List<String> denials = new ArrayList<>();
    for (Validation v : p.getSpec().getValidations()) {
      if (Boolean.TRUE.equals(eval(v.getExpression(), vars))) continue;
      denials.add(v.getMessageExpression() != null ? String.valueOf(eval(v.getMessageExpression(), vars)) : v.getMessage());
    }
    return new Decision(true, denials);
  }

  /** The agents' identity, as the DaemonSet runs them: its ServiceAccount in its namespace. */
  static String agentUser() throws Exception {
    DaemonSet ds = (DaemonSet) documents(DAEMONSET, DaemonSet.class).getFirst();
    return "system:serviceaccount:" + ds.getMetadata().getNamespace() + ":" + ds.getSpec().getTemplate().getSpec().getServiceAccountName();
  }

  static Map<String, Object> request(String user, String node, String operation) {
    Map<String, Object> userInfo = new HashMap<>();
    userInfo.put("username", user);
    if (node != null) userInfo.put("extra", Map.of(NODE_EXTRA, List.of(node)));
    return Map.of("userInfo", userInfo, "operation", operation);
  }

  /** A FleetPolicy as KubeFleetStore writes it. */
  static Map<String, Object> fleetPolicy(String name, String fleet, String agent) {
    return Map.of("apiVersion", FleetNames.GROUP + "/" + FleetNames.VERSION, "kind", FleetNames.KIND,
        "metadata", Map.of("name", name, "namespace", "edgeppo", "labels", Map.of(FleetNames.FLEET_LABEL, fleet, FleetNames.AGENT_LABEL, agent)),
        "spec", Map.of("fleet", fleet, "agent", agent, "format", FleetNames.FORMAT));
  }

  static Map<String, Object> own(String fleet, String node) { return fleetPolicy(FleetNames.objectName(fleet, node), fleet, node); }

  @Test
  void anAgentCreatesAndUpdatesItsOwnObject() throws Exception {
    String agent = agentUser();
    Decision create = admit(request(agent, "gpu-node-7", "CREATE"), own("edgeppo", "gpu-node-7"), null);
    assertTrue(create.matched(), "the DaemonSet's identity is the one the policy binds");
    assertEquals(List.of(), create.denials());
    assertTrue(admit(request(agent, "gpu-node-7", "UPDATE"), own("edgeppo", "gpu-node-7"), own("edgeppo", "gpu-node-7")).allowed(),
        "a whole rewrite or a heartbeat's patch (the API server admits the patched object)");
    // A fleet name with capitals and '_' is a valid label value; the object's name is FleetNames' lower-case form.
    assertTrue(admit(request(agent, "gpu-node-7", "CREATE"), own("Edge_Fleet", "gpu-node-7"), null).allowed());
  }

  @Test
  void anAgentCannotWriteAnotherNodesObject() throws Exception {
    Decision d = admit(request(agentUser(), "gpu-node-7", "CREATE"), own("edgeppo", "gpu-node-8"), null);
    assertTrue(d.matched());
    assertEquals(2, d.denials().size(), d.denials().toString());
    assertTrue(d.denials().getFirst().contains("may write only its own FleetPolicy"), d.denials().toString());
    assertTrue(d.denials().get(1).contains("must be named after its fleet and node: edgeppo-gpu-node-7"), d.denials().toString());
    // Relabelling another node's object as one's own.
    Decision take = admit(request(agentUser(), "gpu-node-7", "UPDATE"),
        fleetPolicy(FleetNames.objectName("edgeppo", "gpu-node-8"), "edgeppo", "gpu-node-7"), own("edgeppo", "gpu-node-8"));
    assertTrue(take.denials().contains("an update may not move a FleetPolicy to another agent or fleet"), take.denials().toString());
  }

  @Test
  void anAgentCannotCastASecondVoteUnderAnotherName() throws Exception {
    Decision d = admit(request(agentUser(), "gpu-node-7", "CREATE"), fleetPolicy("edgeppo-gpu-node-7-b", "edgeppo", "gpu-node-7"), null);
    assertEquals(1, d.denials().size(), d.denials().toString());
    assertTrue(d.denials().getFirst().contains("must be named after its fleet and node"));
    // Nor by moving its object into another fleet under the same node.
    Decision move = admit(request(agentUser(), "gpu-node-7", "UPDATE"), own("other", "gpu-node-7"), own("edgeppo", "gpu-node-7"));
    assertTrue(move.denials().contains("an update may not move a FleetPolicy to another agent or fleet"), move.denials().toString());
  }

  @Test
  void aTokenThatNamesNoNodeIsRefusedWithTheReason() throws Exception {
    Decision d = admit(request(agentUser(), null, "CREATE"), own("edgeppo", "gpu-node-7"), null);
    assertTrue(d.matched());
    assertTrue(d.denials().getFirst().contains("names no node"), d.denials().toString());
  }

  @Test
  void peopleAndControllersAreLeftToRbac() throws Exception {
    Decision d = admit(request("kubernetes-admin", null, "UPDATE"), fleetPolicy("anything", "edgeppo", "gpu-node-8"), own("edgeppo", "gpu-node-7"));
    assertEquals(new Decision(false, List.of()), d);
  }

  @Test
  void theBindingDeniesWithThisPolicy() throws Exception {
    List<Object> bs = documents(POLICY, ValidatingAdmissionPolicyBinding.class);
    assertEquals(1, bs.size());
    ValidatingAdmissionPolicyBinding b = (ValidatingAdmissionPolicyBinding) bs.getFirst();
    assertEquals(policy().getMetadata().getName(), b.getSpec().getPolicyName());
    assertEquals(List.of("Deny"), b.getSpec().getValidationActions());
    var rules = policy().getSpec().getMatchConstraints().getResourceRules();
    assertTrue(rules.stream().anyMatch(r -> r.getApiGroups().contains(FleetNames.GROUP) && r.getResources().contains(FleetNames.PLURAL)
        && r.getOperations().containsAll(List.of("CREATE", "UPDATE"))), "the policy matches FleetPolicy writes");
  }
}
