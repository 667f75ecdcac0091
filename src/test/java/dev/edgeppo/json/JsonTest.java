package dev.edgeppo.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.junit.jupiter.api.Test;

/** The one Jackson configuration reads strictly, wherever JSON comes from. */
class JsonTest {
  @Test
  void aDuplicateKeyIsAnErrorNotLastWins() {
    var e = assertThrows(JsonProcessingException.class, () -> Json.MAPPER.readTree("{\"gamma\": 0.9, \"gamma\": 0.5}"));
    assertTrue(e.getMessage().contains("Duplicate field 'gamma'"), e.getMessage());
  }

  @Test
  void anythingAfterTheValueIsAnError() {
    assertThrows(JsonProcessingException.class, () -> Json.MAPPER.readTree("{\"gamma\": 0.9} {\"gamma\": 0.5}"));
  }

  @Test
  void oneValueReadsAsItself() throws JsonProcessingException {
    assertEquals(0.9, Json.MAPPER.readTree("{\"gamma\": 0.9}").get("gamma").asDouble());
  }
}
