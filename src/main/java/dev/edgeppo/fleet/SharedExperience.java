package dev.edgeppo.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeppo.ppo.ParamLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * One experience as an agent shares it with its fleet (docs/fleet.md, "Experience"): with γ 0 (the edge
 * profile) every experience is its own episode, a contextual-bandit sample, so a peer can train on it as it
 * trains on its own: the state, the action as sampled, the log-probability of the policy that sampled it
 * (PPO's ratio corrects for that policy, as replay does) and the reward. {@code seq} is its agent's journal
 * sequence number, so a reader knows which ones it has not used yet.
 *
 * <p>In the object: {@code {encoding: "base64-seq64-float32-le", count, crc32, data}}, each record a
 * little-endian int64 seq followed by {@value #FLOATS} float32 (state, action, log-prob, reward): 44 bytes,
 * 11,264 bytes for {@value FleetNames#SHARED_EXPERIENCES} of them (15,020 base64 characters).
 */
public record SharedExperience(long seq, float[] state, float[] action, float logProb, float reward) {
  public static final String ENCODING = "base64-seq64-float32-le";
  /** Floats per record after its seq. */
  public static final int FLOATS = ParamLayout.STATE_DIM + ParamLayout.ACTION_DIM + 2;
  /** Bytes per record. */
  public static final int RECORD_BYTES = Long.BYTES + FLOATS * Float.BYTES;

  public SharedExperience {
    Objects.requireNonNull(state);
    Objects.requireNonNull(action);
    if (state.length != ParamLayout.STATE_DIM) throw new IllegalArgumentException("state has " + state.length + " values, not " + ParamLayout.STATE_DIM);
    if (action.length != ParamLayout.ACTION_DIM) throw new IllegalArgumentException("action has " + action.length + " values, not " + ParamLayout.ACTION_DIM);
    if (seq < 0) throw new IllegalArgumentException("seq must be >= 0, got " + seq);
  }

  /** Writes {@code es} (increasing seqs) as {@code o}'s fields. */
  static void put(ObjectNode o, List<SharedExperience> es) {
    ByteBuffer b = ByteBuffer.allocate(es.size() * RECORD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (SharedExperience e : es) {
      b.putLong(e.seq);
      for (float v : e.state) b.putFloat(v);
      for (float v : e.action) b.putFloat(v);
      b.putFloat(e.logProb).putFloat(e.reward);
    }
    byte[] raw = b.array();
    o.put("encoding", ENCODING).put("count", es.size()).put("crc32", PolicyShare.crc(raw)).put("data", Base64.getEncoder().encodeToString(raw));
  }

  /**
   * Reads what {@link #put} wrote, refusing anything else: a wrong encoding, count, CRC, a non-finite value, or
   * seqs that do not increase (a reader's "seen through" mark relies on their order).
   */
  static List<SharedExperience> read(JsonNode p, int max) throws PolicyShare.Rejected {
    if (p == null || !p.isObject()) throw malformed("experiences is not an object");
    JsonNode enc = p.get("encoding"), count = p.get("count"), crc = p.get("crc32"), data = p.get("data");
    if (enc == null || !enc.isTextual()) throw malformed("experiences.encoding missing");
    if (!ENCODING.equals(enc.asText())) throw new PolicyShare.Rejected(PolicyShare.Rejection.INCOMPATIBLE, "experiences encoding " + enc.asText());
    if (count == null || !count.isIntegralNumber() || !count.canConvertToInt() || count.intValue() < 0 || count.intValue() > max)
      throw malformed("experiences.count missing or not in 0.." + max);
    if (crc == null || !crc.isTextual() || data == null || !data.isTextual()) throw malformed("experiences.crc32 or .data missing");
    int n = count.intValue();
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(data.asText());
    } catch (IllegalArgumentException e) {
      throw malformed("experiences.data is not base64: " + e.getMessage());
    }
    if (raw.length != n * RECORD_BYTES) throw malformed("experiences.data holds " + raw.length + " bytes, count says " + n * RECORD_BYTES);
    if (!PolicyShare.crc(raw).equals(crc.asText())) throw malformed("experiences.crc32 does not match the data");
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    List<SharedExperience> out = new ArrayList<>(n);
    long last = -1;
    for (int i = 0; i < n; i++) {
      long seq = b.getLong();
      if (seq <= last) throw malformed("experiences' seqs do not increase (" + seq + " after " + last + ")");
      last = seq;
      float[] s = new float[ParamLayout.STATE_DIM], a = new float[ParamLayout.ACTION_DIM];
      for (int j = 0; j < s.length; j++) s[j] = finite(b.getFloat());
      for (int j = 0; j < a.length; j++) a[j] = finite(b.getFloat());
      float lp = finite(b.getFloat()), r = finite(b.getFloat());
      out.add(new SharedExperience(seq, s, a, lp, r));
    }
    return List.copyOf(out);
  }

  private static float finite(float v) throws PolicyShare.Rejected {
    if (!Float.isFinite(v)) throw malformed("experiences hold a non-finite value");
    return v;
  }

  private static PolicyShare.Rejected malformed(String why) { return new PolicyShare.Rejected(PolicyShare.Rejection.MALFORMED, why); }
}
