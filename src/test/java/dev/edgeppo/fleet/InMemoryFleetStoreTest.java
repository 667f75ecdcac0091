package dev.edgeppo.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** The in-memory store keeps the API server's rules, which the simulator and the unit tests rely on. */
class InMemoryFleetStoreTest {
  static ObjectNode spec(int v) { return JsonNodeFactory.instance.objectNode().put("v", v); }

  @Test
  void versionsConflictsAndOutages() throws Exception {
    InMemoryFleetStore s = new InMemoryFleetStore();
    FleetStore.Stored a = s.create("f-a", "f", "a", spec(1));
    assertThrows(FleetStore.Conflict.class, () -> s.create("f-a", "f", "a", spec(2)));
    FleetStore.Stored a2 = s.replace("f-a", a.resourceVersion(), "f", "a", spec(2));
    assertNotEquals(a.resourceVersion(), a2.resourceVersion());
    assertThrows(FleetStore.Conflict.class, () -> s.replace("f-a", a.resourceVersion(), "f", "a", spec(3)), "a stale version");
    assertThrows(FleetStore.Conflict.class, () -> s.replace("f-b", "1", "f", "b", spec(3)), "an object that does not exist");
    FleetStore.Stored a3 = s.touch("f-a", a2.resourceVersion(), java.time.Instant.parse("2026-12-04T05:00:00Z"));
    assertEquals("2026-12-04T05:00:00Z", a3.spec().get("publishedAt").asText());
    assertEquals(2, a3.spec().get("v").asInt(), "a touch changes publishedAt only");
    assertThrows(FleetStore.Conflict.class, () -> s.touch("f-a", a2.resourceVersion(), java.time.Instant.EPOCH), "a stale version");
    s.create("g-a", "g", "a", spec(9));
    assertEquals(1, s.list("f").size(), "lists one fleet only");
    assertEquals(2, s.get("f-a").orElseThrow().spec().get("v").asInt());
    s.down(true);
    assertThrows(FleetStore.Unavailable.class, () -> s.list("f"));
    assertThrows(FleetStore.Unavailable.class, () -> s.replace("f-a", a3.resourceVersion(), "f", "a", spec(4)));
    s.down(false);
    assertEquals(2, s.get("f-a").orElseThrow().spec().get("v").asInt(), "nothing changed while it was down");
  }
}
