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

  /** {@code n} experiences with seqs from {@code first}, distinct values in every field. */
  static java.util.List<SharedExperience> experiences(long first, int n) {
    java.util.List<SharedExperience> out = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++)
      out.add(new SharedExperience(first + i, new float[] {0.1f * i, 0.2f, 0.3f, 0.4f, 0.5f}, new float[] {0.6f, -0.7f * i}, -1.5f - i, 0.25f * i));
    return out;
  }

  static ObjectNode specWithExperiences(java.util.List<SharedExperience> es) {
    return new PolicyShare("edge", "n1", FleetNames.FORMAT, 1, "relative", P, D, 100, 32, 3, 7, Instant.parse("2026-12-04T05:00:00Z"), es).toSpec();
  }

  @Test
  void experiencesRoundTripExactlyAndAreOptional() throws Exception {
    java.util.List<SharedExperience> es = experiences(40, 3);
    PolicyShare s = PolicyShare.fromSpec(specWithExperiences(es), 1, "relative", 4);
    assertEquals(3, s.experiences().size());
    for (int i = 0; i < 3; i++) {
      SharedExperience a = es.get(i), b = s.experiences().get(i);
      assertEquals(a.seq(), b.seq());
      assertArrayEquals(a.state(), b.state());
      assertArrayEquals(a.action(), b.action());
      assertEquals(a.logProb(), b.logProb());
      assertEquals(a.reward(), b.reward());
    }
    // The wire format, decoded independently: record 1 is int64 seq 41, then 5 state, 2 action, log-prob, reward floats.
    byte[] raw = Base64.getDecoder().decode(specWithExperiences(es).get("experiences").get("data").asText());
    assertEquals(3 * 44, raw.length);
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(41L, b.getLong(44));
    assertEquals(-0.7f, b.getFloat(44 + 8 + 6 * 4));
    assertEquals(0.25f, b.getFloat(44 + 8 + 8 * 4));
    // An object without the field (an older agent, another gamma) carries none.
    assertEquals(0, PolicyShare.fromSpec(spec(), 1, "relative", 4).experiences().size());
    assertEquals(false, spec().has("experiences"));
  }

  @Test
  void wrongExperiencesAreRefusedWithTheirReason() {
    ObjectNode crc = specWithExperiences(experiences(0, 2));
    ((ObjectNode) crc.get("experiences")).put("crc32", "00000000");
    assertEquals(PolicyShare.Rejection.MALFORMED, reason(crc, 1, "relative", 4));
    ObjectNode count = specWithExperiences(experiences(0, 2));
    ((ObjectNode) count.get("experiences")).put("count", 3);
    assertEquals(PolicyShare.Rejection.MALFORMED, reason(count, 1, "relative", 4));
    ObjectNode tooMany = specWithExperiences(experiences(0, 2));
    ((ObjectNode) tooMany.get("experiences")).put("count", FleetNames.SHARED_EXPERIENCES + 1);
    assertEquals(PolicyShare.Rejection.MALFORMED, reason(tooMany, 1, "relative", 4));
    // Seqs that go back: a reader's "seen through" mark would skip or repeat some.
    java.util.List<SharedExperience> back = new java.util.ArrayList<>(experiences(5, 2));
    back.add(experiences(3, 1).getFirst());
    assertEquals(PolicyShare.Rejection.MALFORMED, reason(specWithExperiences(back), 1, "relative", 4));
    ObjectNode nan = specWithExperiences(experiences(0, 1));
    byte[] raw = new byte[44];
    ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 9).putFloat(8 + 7 * 4, Float.NaN);
    ((ObjectNode) nan.get("experiences")).put("data", Base64.getEncoder().encodeToString(raw)).put("crc32", PolicyShare.crc(raw));
    assertEquals(PolicyShare.Rejection.MALFORMED, reason(nan, 1, "relative", 4));
    ObjectNode other = specWithExperiences(experiences(0, 1));
    ((ObjectNode) other.get("experiences")).put("encoding", "base64-float16-le");
    assertEquals(PolicyShare.Rejection.INCOMPATIBLE, reason(other, 1, "relative", 4));
    assertThrows(IllegalArgumentException.class, () -> specWithExperiences(experiences(0, FleetNames.SHARED_EXPERIENCES + 1)),
        "the writer refuses more than it may share");
  }

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
