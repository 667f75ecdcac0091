package dev.edgeppo.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeppo.json.Json;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PolicyParams;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/15-fleetpolicy-crd.yaml and the code agree: the names are {@link FleetNames}', and what an agent of the
 * default profile writes passes the CRD's schema (checked here by a small validator of the keywords the CRD
 * uses), while a spec with a field of the wrong type, a missing field or an unknown action mapping does not.
 */
class FleetCrdTest {
  static final Path CRD = Path.of("deploy", "15-fleetpolicy-crd.yaml");

  static CustomResourceDefinition crd() throws Exception {
    return new KubernetesSerialization().unmarshal(Files.readString(CRD), CustomResourceDefinition.class);
  }

  @Test
  void theNamesAreTheCodes() throws Exception {
    CustomResourceDefinition c = crd();
    assertEquals(FleetNames.PLURAL + "." + FleetNames.GROUP, c.getMetadata().getName());
    assertEquals(FleetNames.GROUP, c.getSpec().getGroup());
    assertEquals(FleetNames.KIND, c.getSpec().getNames().getKind());
    assertEquals(FleetNames.PLURAL, c.getSpec().getNames().getPlural());
    assertEquals("Namespaced", c.getSpec().getScope());
    assertEquals(List.of(FleetNames.VERSION), c.getSpec().getVersions().stream().map(CustomResourceDefinitionVersion::getName).toList());
  }

  static JSONSchemaProps specSchema() throws Exception {
    return crd().getSpec().getVersions().getFirst().getSchema().getOpenAPIV3Schema().getProperties().get("spec");
  }

  static ObjectNode written() {
    Hyperparameters hp = Hyperparameters.serving();
    PolicyParams p = PolicyParams.initialise(hp, 7);
    return new PolicyShare("edge", "node-1", FleetNames.FORMAT, hp.hidden(), hp.actionMapping().json(), p.data(), new float[p.data().length],
        1234, 32, 38, 5, Instant.parse("2026-12-04T05:00:00Z"), PolicyShareTest.experiences(1000, FleetNames.SHARED_EXPERIENCES)).toSpec();
  }

  @Test
  void whatAnAgentWritesPassesTheSchemaAndStaysUnderTheLimit() throws Exception {
    ObjectNode spec = written();
    assertEquals(FleetNames.SHARED_EXPERIENCES, spec.get("experiences").get("count").intValue(), "the largest object an agent writes");
    assertEquals(List.of(), problems(specSchema(), spec, "spec"));
    int bytes = spec.toString().length();
    assertTrue(bytes < FleetNames.MAX_OBJECT_BYTES, bytes + " bytes");
    // docs/fleet.md states the size: 99.4 KB of parameters and delta, about 15 KB of experiences.
    assertTrue(bytes > 110_000 && bytes < 120_000, bytes + " bytes");
    ObjectNode none = written();
    none.remove("experiences");
    assertEquals(List.of(), problems(specSchema(), none, "spec"), "experiences are optional (an agent with another gamma shares none)");
  }

  @Test
  void theSchemaRefusesWhatIsWrong() throws Exception {
    JSONSchemaProps schema = specSchema();
    ObjectNode wrongType = written();
    wrongType.put("experience", "many");
    ObjectNode missing = written();
    missing.remove("delta");
    ObjectNode mapping = written();
    mapping.put("actionMapping", "absolute");
    ObjectNode crc = written();
    ((ObjectNode) crc.get("parameters")).put("crc32", "XYZ");
    ObjectNode encoding = written();
    ((ObjectNode) encoding.get("experiences")).put("encoding", "base64-float32-le");
    ObjectNode tooMany = written();
    ((ObjectNode) tooMany.get("experiences")).put("count", FleetNames.SHARED_EXPERIENCES + 1);
    for (ObjectNode bad : List.of(wrongType, missing, mapping, crc, encoding, tooMany))
      assertTrue(!problems(schema, bad, "spec").isEmpty(), "accepted " + bad.toString().substring(0, 200));
  }

  /** The keywords the CRD uses: type, required, properties, enum, pattern, minLength, maxLength, minimum, maximum. */
  static List<String> problems(JSONSchemaProps s, JsonNode v, String at) {
    List<String> out = new ArrayList<>();
    switch (s.getType()) {
      case "object" -> {
        if (!v.isObject()) return List.of(at + ": not an object");
        if (s.getRequired() != null) for (String r : s.getRequired()) if (!v.has(r)) out.add(at + "." + r + ": missing");
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          JSONSchemaProps p = s.getProperties().get(e.getKey());
          if (p == null) out.add(at + "." + e.getKey() + ": not in the schema (the API server would prune it)");
          else out.addAll(problems(p, e.getValue(), at + "." + e.getKey()));
        }
      }
      case "string" -> {
        if (!v.isTextual()) return List.of(at + ": not a string");
        String t = v.asText();
        if (s.getEnum() != null && !s.getEnum().isEmpty() && s.getEnum().stream().noneMatch(x -> x.asText().equals(t))) out.add(at + ": not in " + s.getEnum());
        if (s.getPattern() != null && !Pattern.compile(s.getPattern()).matcher(t).find()) out.add(at + ": does not match " + s.getPattern());
        if (s.getMaxLength() != null && t.length() > s.getMaxLength()) out.add(at + ": longer than " + s.getMaxLength());
        if (s.getMinLength() != null && t.length() < s.getMinLength()) out.add(at + ": shorter than " + s.getMinLength());
        if ("date-time".equals(s.getFormat())) {
          try {
            Instant.parse(t);
          } catch (RuntimeException e) {
            out.add(at + ": not a date-time");
          }
        }
      }
      case "integer" -> {
        if (!v.isIntegralNumber()) return List.of(at + ": not an integer");
        if (s.getMinimum() != null && v.asDouble() < s.getMinimum()) out.add(at + ": below " + s.getMinimum());
        if (s.getMaximum() != null && v.asDouble() > s.getMaximum()) out.add(at + ": above " + s.getMaximum());
      }
      default -> out.add(at + ": the test's validator does not know type " + s.getType());
    }
    return out;
  }
}
