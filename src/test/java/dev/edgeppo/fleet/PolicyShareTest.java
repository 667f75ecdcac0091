package dev.edgeppo.fleet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class PolicyShareTest {
  static final float[] P = {1.5f, -0.25f, 3e-8f, Float.MAX_VALUE}, D = {0, 1, 2, 3};

  static ObjectNode spec() {
    return new PolicyShare("edge", "n1", FleetNames.FORMAT, 1, "relative", P, D, 100, 32, 3, 7, Instant.parse("2026-12-04T05:00:00Z")).toSpec();
  }

  @Test
  void roundTripsExactly() throws Exception {
    PolicyShare s = PolicyShare.fromSpec(spec(), 1, "relative", 4);
    assertArrayEquals(P, s.params());
    assertArrayEquals(D, s.delta());
    assertEquals(100, s.experience());
    assertEquals(32, s.localExperience());
    assertEquals(7, s.generation());
    // The wire format is little-endian float32, independently decoded here.
    byte[] raw = Base64.getDecoder().decode(spec().get("parameters").get("data").asText());
    assertEquals(-0.25f, ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getFloat(4));
  }

  static PolicyShare.Rejection reason(ObjectNode s, int hidden, String mapping, int count) {
    return assertThrows(PolicyShare.Rejected.class, () -> PolicyShare.fromSpec(s, hidden, mapping, count)).reason;
  }

  @Test
  void eachWrongObjectHasItsReason() {
    ObjectNode crc = spec();
    ((ObjectNode) crc.get("parameters")).put("crc32", "00000000");
    assertEquals(PolicyShare.Rejection.MALFORMED, reason(crc, 1, "relative", 4));
    ObjectNode nan = spec();
    byte[] raw = new byte[16];
    ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).putFloat(8, Float.NaN);
    ((ObjectNode) nan.get("delta")).put("data", Base64.getEncoder().encodeToString(raw)).put("crc32", PolicyShare.crc(raw));
    assertEquals(PolicyShare.Rejection.MALFORMED, reason(nan, 1, "relative", 4));
    ObjectNode negative = spec().put("experience", -1);
    assertEquals(PolicyShare.Rejection.MALFORMED, reason(negative, 1, "relative", 4));
    ObjectNode text = spec().put("hidden", "64");
    assertEquals(PolicyShare.Rejection.MALFORMED, reason(text, 1, "relative", 4));
    assertEquals(PolicyShare.Rejection.INCOMPATIBLE, reason(spec(), 2, "relative", 4));
    assertEquals(PolicyShare.Rejection.INCOMPATIBLE, reason(spec(), 1, "seed", 4));
    assertEquals(PolicyShare.Rejection.INCOMPATIBLE, reason(spec(), 1, "relative", 5));
    assertEquals(PolicyShare.Rejection.INCOMPATIBLE, reason(spec().put("format", 2), 1, "relative", 4));
  }
}
