package dev.edgeppo.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeppo.agent.Allocation;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * /allocate's answer, written field by field, is byte for byte what serialising it as a map with the shared
 * mapper gives (how it was written before), for ordinary and awkward values alike, and reads back as SPEC §4 says.
 */
class AllocateAnswerTest {
  private record Gpu(int index, String uuid) {}

  /** The reference: the answer as a map through Jackson's data binding. */
  private static byte[] viaMap(Allocation a) throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("allocation_id", a.allocationId());
    out.put("cores", a.cores());
    out.put("memory", a.memoryMb());
    out.put("gpu", new Gpu(a.gpuIndex(), a.gpuUuid()));
    out.put("state", a.state());
    out.put("policy_version", a.policyVersion());
    return JsonBody.MAPPER.writeValueAsBytes(out);
  }

  @Test
  void sameBytesAsTheMapAndTheFieldsSpecSays() throws Exception {
    List<Allocation> cases = List.of(
        new Allocation("0f8fad5b-d9cb-469f-a165-70867728950e", 80, 4000, 0, "GPU-12345678-abcd", new float[] {0.45f, 0.3f, 0.8f, 0.12f, 0.2f}, 7),
        new Allocation("id \"quoted\" \\ é \u0001", 1, Long.MAX_VALUE, 3, null, new float[] {-0f, 1e-8f, 3.4e38f, Float.MIN_VALUE, 1f / 3}, 0),
        new Allocation("x", Integer.MAX_VALUE, 0, Integer.MIN_VALUE, "", new float[0], Long.MIN_VALUE));
    for (Allocation a : cases) {
      byte[] got = Router.answer(a);
      assertEquals(new String(viaMap(a), StandardCharsets.UTF_8), new String(got, StandardCharsets.UTF_8));
      JsonNode n = JsonBody.MAPPER.readTree(got);
      assertEquals(a.allocationId(), n.get("allocation_id").asText());
      assertEquals(a.memoryMb(), n.get("memory").asLong());
      assertEquals(a.gpuIndex(), n.get("gpu").get("index").asInt());
      assertEquals(a.state().length, n.get("state").size());
      for (int i = 0; i < a.state().length; i++) assertEquals(a.state()[i], n.get("state").get(i).floatValue());
    }
  }
}
