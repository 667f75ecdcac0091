package dev.edgeppo.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Objects;
import java.util.zip.CRC32;

/**
 * What one agent shares with its fleet: the {@code spec} of its FleetPolicy object (docs/fleet.md, "The
 * object"). {@code params} is the flat parameter array of {@link dev.edgeppo.ppo.ParamLayout} (actor,
 * log_std, critic), sent as base64 of little-endian float32 with its CRC-32, about 50 KB for H = 64.
 *
 * @param delta           what this agent learned since its last merge: params minus the policy that merge left
 * @param experience      feedbacks behind this policy as far as its agent knows: the fleet's at its last merge
 *                        plus its own since
 * @param localExperience feedbacks this agent trained on since its last merge: its weight in the next merge
 * @param updates         PPO updates its learner has run
 * @param generation      counts this agent's writes of the object (a reader sees whether it changed)
 * @param experiences     this agent's most recent own experiences, increasing seqs, at most
 *                        {@value FleetNames#SHARED_EXPERIENCES} (docs/fleet.md, "Experience"); empty when it shares
 *                        none (γ ≠ 0, or written by an agent before experience sharing: the field is optional)
 */
public record PolicyShare(String fleet, String agent, int format, int hidden, String actionMapping, float[] params,
                          float[] delta, long experience, long localExperience, long updates, long generation, Instant publishedAt,
                          java.util.List<SharedExperience> experiences) {
  public static final String ENCODING = "base64-float32-le";

  public PolicyShare {
    Objects.requireNonNull(fleet);
    Objects.requireNonNull(agent);
    Objects.requireNonNull(actionMapping);
    Objects.requireNonNull(params);
    Objects.requireNonNull(delta);
    if (delta.length != params.length) throw new IllegalArgumentException("delta and params differ in length");
    Objects.requireNonNull(publishedAt);
    experiences = java.util.List.copyOf(experiences);
    if (experiences.size() > FleetNames.SHARED_EXPERIENCES)
      throw new IllegalArgumentException(experiences.size() + " experiences, more than " + FleetNames.SHARED_EXPERIENCES);
  }

  /** A share without experiences. */
  public PolicyShare(String fleet, String agent, int format, int hidden, String actionMapping, float[] params, float[] delta, long experience,
                     long localExperience, long updates, long generation, Instant publishedAt) {
    this(fleet, agent, format, hidden, actionMapping, params, delta, experience, localExperience, updates, generation, publishedAt,
        java.util.List.of());
  }

  /** Why an object read from the store is not used; each reason is a label of edgeppo_fleet_rejected_objects_total. */
  public enum Rejection {
    /** Not the shape this build writes: a field missing or of the wrong type, bad base64, CRC mismatch, NaN. */
    MALFORMED("malformed"),
    /** Over {@link FleetNames#MAX_OBJECT_BYTES}. */
    TOO_LARGE("too_large"),
    /** Another format, network size or action mapping: its numbers mean something else. */
    INCOMPATIBLE("incompatible"),
    /** Not written for longer than the fleet's stale limit: its agent has left (or is partitioned away). */
    STALE("stale");

    public final String label;

    Rejection(String label) { this.label = label; }
  }

  /** A spec that cannot be used, and why. */
  public static final class Rejected extends Exception {
    public final Rejection reason;

    public Rejected(Rejection reason, String message) {
      super(message);
      this.reason = reason;
    }
  }

  public ObjectNode toSpec() {
    ObjectNode s = JsonNodeFactory.instance.objectNode();
    s.put("fleet", fleet).put("agent", agent).put("format", format).put("hidden", hidden).put("actionMapping", actionMapping)
        .put("experience", experience).put("localExperience", localExperience).put("updates", updates)
        .put("generation", generation).put("publishedAt", publishedAt.toString());
    putFloats(s.putObject("parameters"), params);
    putFloats(s.putObject("delta"), delta);
    if (!experiences.isEmpty()) SharedExperience.put(s.putObject("experiences"), experiences);
    return s;
  }

  /**
   * Reads a spec, refusing anything that is not exactly what {@link #toSpec} writes in this format, or does not
   * fit this agent's network ({@code hidden}, {@code mapping}, {@code count} floats).
   */
  public static PolicyShare fromSpec(JsonNode s, int hidden, String mapping, int count) throws Rejected {
    if (s == null || !s.isObject()) throw malformed("spec is not an object");
    int format = integer(s, "format");
    if (format != FleetNames.FORMAT) throw new Rejected(Rejection.INCOMPATIBLE, "format " + format + ", this agent reads " + FleetNames.FORMAT);
    int h = integer(s, "hidden");
    String m = text(s, "actionMapping");
    if (h != hidden || !m.equals(mapping))
      throw new Rejected(Rejection.INCOMPATIBLE, "network hidden=" + h + " mapping=" + m + ", this agent has hidden=" + hidden + " mapping=" + mapping);
    float[] params = floats(s, "parameters", count), delta = floats(s, "delta", count);
    long exp = nonNegative(s, "experience"), local = nonNegative(s, "localExperience");
    Instant at;
    try {
      at = Instant.parse(text(s, "publishedAt"));
    } catch (DateTimeParseException e) {
      throw malformed("publishedAt is not an RFC 3339 time");
    }
    // Optional: an agent of this format that shares no experiences (γ ≠ 0, or an older build) writes none.
    java.util.List<SharedExperience> es = s.has("experiences") ? SharedExperience.read(s.get("experiences"), FleetNames.SHARED_EXPERIENCES)
        : java.util.List.of();
    return new PolicyShare(text(s, "fleet"), text(s, "agent"), format, h, m, params, delta, exp, Math.min(local, exp),
        nonNegative(s, "updates"), nonNegative(s, "generation"), at, es);
  }

  private static void putFloats(ObjectNode o, float[] v) {
    byte[] raw = bytes(v);
    o.put("encoding", ENCODING).put("count", v.length).put("crc32", crc(raw)).put("data", Base64.getEncoder().encodeToString(raw));
  }

  private static float[] floats(JsonNode s, String field, int count) throws Rejected {
    JsonNode p = s.get(field);
    if (p == null || !p.isObject()) throw malformed(field + " missing");
    if (!ENCODING.equals(text(p, "encoding"))) throw new Rejected(Rejection.INCOMPATIBLE, field + " encoding " + text(p, "encoding"));
    int n = integer(p, "count");
    if (n != count) throw new Rejected(Rejection.INCOMPATIBLE, field + " holds " + n + " floats, this agent has " + count + " parameters");
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(text(p, "data"));
    } catch (IllegalArgumentException e) {
      throw malformed(field + ".data is not base64: " + e.getMessage());
    }
    if (raw.length != 4L * n) throw malformed(field + ".data holds " + raw.length + " bytes, count says " + 4L * n);
    if (!crc(raw).equals(text(p, "crc32"))) throw malformed(field + ".crc32 does not match the data");
    float[] out = new float[n];
    ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    for (float v : out) if (!Float.isFinite(v)) throw malformed(field + " holds a non-finite value");
    return out;
  }

  private static Rejected malformed(String why) { return new Rejected(Rejection.MALFORMED, why); }

  private static String text(JsonNode s, String f) throws Rejected {
    JsonNode v = s.get(f);
    if (v == null || !v.isTextual()) throw malformed(f + " missing or not a string");
    return v.asText();
  }

  private static int integer(JsonNode s, String f) throws Rejected {
    JsonNode v = s.get(f);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) throw malformed(f + " missing or not an integer");
    return v.intValue();
  }

  private static long nonNegative(JsonNode s, String f) throws Rejected {
    JsonNode v = s.get(f);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) throw malformed(f + " missing or not an integer >= 0");
    return v.longValue();
  }

  static byte[] bytes(float[] params) {
    ByteBuffer b = ByteBuffer.allocate(4 * params.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(params);
    return b.array();
  }

  static String crc(byte[] raw) {
    CRC32 c = new CRC32();
    c.update(raw);
    return String.format("%08x", c.getValue());
  }
}
