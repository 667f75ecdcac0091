package dev.edgeppo.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** GET /v1/allocations/{id} (SPEC §4) and /allocate's pod_uid, refusals first. */
class AllocationsEndpointTest {
  static final String POD = "0a1b2c3d-4e5f-4061-8728-394a5b6c7d8e";

  @Test
  void refusals() throws Exception {
    try (TestAgent a = AgentServerTest.agent()) {
      HttpResponse<String> r = a.get("/v1/allocations/nope");
      assertEquals(404, r.statusCode());
      assertTrue(r.body().contains("unknown allocation_id"), r.body());
      assertEquals(404, a.get("/v1/allocations/").statusCode(), "no id: no such endpoint");
      assertEquals(405, a.post("/v1/allocations/x", "{}").statusCode());
      assertEquals(400, a.post("/allocate", "{\"cores\":50,\"memory\":100,\"pod_uid\":7}").statusCode());
      HttpResponse<String> bad = a.post("/allocate", "{\"cores\":50,\"memory\":100,\"pod_uid\":\"web-1\"}");
      assertEquals(400, bad.statusCode());
      assertTrue(bad.body().contains("pod_uid"), bad.body());
    }
  }

  @Test
  void aPendingThenAnsweredAllocationWithoutAPod() throws Exception {
    try (TestAgent a = AgentServerTest.agent()) {
      JsonNode al = a.allocate(60, 3000);
      String id = al.get("allocation_id").asText();
      JsonNode s = TestAgent.json(a.get("/v1/allocations/" + id));
      assertEquals(id, s.get("allocation_id").asText());
      assertEquals("pending", s.get("status").asText());
      assertEquals(al.get("cores").asInt(), s.get("cores").asInt());
      assertEquals(al.get("memory").asLong(), s.get("memory").asLong());
      assertFalse(s.has("pod_uid"));
      assertFalse(s.has("feedback"));
      assertFalse(s.has("observation"));
      JsonNode fb = a.feedback(id, 40, true, 2);
      s = TestAgent.json(a.get("/v1/allocations/" + id));
      assertEquals("answered", s.get("status").asText());
      assertEquals("http", s.get("feedback").get("source").asText());
      assertEquals(40.0, s.get("feedback").get("actual_usage").asDouble());
      assertTrue(s.get("feedback").get("qos_met").asBoolean());
      assertEquals(2, s.get("feedback").get("pods").asInt());
      assertFalse(s.get("feedback").get("done").asBoolean());
      assertEquals(fb.get("reward").asDouble(), s.get("feedback").get("reward").asDouble(), 1e-6);
    }
  }

  @Test
  void aPodUidWithoutAnObserverSaysSo() throws Exception {
    try (TestAgent a = AgentServerTest.agent()) {
      HttpResponse<String> r = a.post("/allocate", "{\"cores\":50,\"memory\":1000,\"pod\":\"ns/p\",\"pod_uid\":\"" + POD + "\"}");
      assertEquals(200, r.statusCode(), r.body());
      String id = TestAgent.json(r).get("allocation_id").asText();
      JsonNode s = TestAgent.json(a.get("/v1/allocations/" + id));
      assertEquals("pending", s.get("status").asText());
      assertEquals(POD, s.get("pod_uid").asText());
      assertEquals("not observed: this agent runs no pod observer", s.get("observation").get("why").get(0).asText());
    }
  }
}
