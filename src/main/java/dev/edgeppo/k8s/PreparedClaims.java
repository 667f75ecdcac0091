package dev.edgeppo.k8s;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.json.Json;
import dev.edgeppo.storage.StateFs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The claim → allocation map of the DRA driver, in the state dir ({@code dra-claims.json}), under the
 * journal's rules: a change is on disk (file fsynced, renamed into place, directory fsynced) before the
 * kubelet gets the answer that depends on it. So a claim prepared before any crash or restart is still
 * known afterwards, and its unprepare removes its CDI spec and ends its allocation.
 *
 * <p>The file is {@code {"version": 1, "crc32c": <of the claims' JSON>, "claims": [...]}}; the whole map is
 * rewritten at each change (a node holds tens of claims, not thousands). A file that fails its checksum
 * or does not parse is refused at start with the reason, never half-read.
 */
public final class PreparedClaims {
  public static final String FILE = "dra-claims.json";
  static final int VERSION = 1;
  private static final ObjectMapper JSON = Json.MAPPER;

  private final Path file;
  private final Map<String, PreparedClaim> claims;

  private PreparedClaims(Path file, Map<String, PreparedClaim> claims) {
    this.file = file;
    this.claims = claims;
  }

  public static PreparedClaims open(Path stateDir) throws IOException {
    Files.createDirectories(stateDir);
    Path file = stateDir.resolve(FILE);
    Map<String, PreparedClaim> claims = new LinkedHashMap<>();
    if (Files.exists(file)) {
      for (PreparedClaim c : decode(Files.readAllBytes(file), file)) claims.put(c.uid(), c);
    }
    return new PreparedClaims(file, claims);
  }

  public Path file() { return file; }

  public synchronized PreparedClaim get(String uid) { return claims.get(uid); }

  public synchronized List<PreparedClaim> all() { return List.copyOf(claims.values()); }

  public synchronized int size() { return claims.size(); }

  /** Adds or replaces a claim; durable when this returns. */
  public synchronized void put(PreparedClaim c) throws IOException {
    Map<String, PreparedClaim> next = new LinkedHashMap<>(claims);
    next.put(c.uid(), c);
    persist(next);
    claims.put(c.uid(), c);
  }

  /** Forgets a claim; durable when this returns. The removed entry, or null if it was not there. */
  public synchronized PreparedClaim remove(String uid) throws IOException {
    if (!claims.containsKey(uid)) return null;
    Map<String, PreparedClaim> next = new LinkedHashMap<>(claims);
    PreparedClaim gone = next.remove(uid);
    persist(next);
    claims.remove(uid);
    return gone;
  }

  private void persist(Map<String, PreparedClaim> next) throws IOException {
    StateFs.real().replaceAtomically(file, encode(new ArrayList<>(next.values())));
  }

  static byte[] encode(List<PreparedClaim> list) throws IOException {
    String claimsJson = JSON.writeValueAsString(list);
    return ("{\"version\":" + VERSION + ",\"crc32c\":" + crc(claimsJson) + ",\"claims\":" + claimsJson + "}\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  static List<PreparedClaim> decode(byte[] bytes, Path file) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new IOException(file + " is not JSON (" + e.getMessage() + "); move it away to start without the prepared claims it held", e);
    }
    if (root == null || !root.isObject() || root.path("version").asInt(-1) != VERSION || !root.path("claims").isArray()
        || !root.path("crc32c").canConvertToLong())
      throw new IOException(file + " is not a version " + VERSION + " claim map; move it away to start without it");
    String claimsJson = JSON.writeValueAsString(root.get("claims"));
    if (crc(claimsJson) != root.get("crc32c").asLong())
      throw new IOException(file + " fails its checksum; move it away to start without the prepared claims it held");
    try {
      return JSON.convertValue(root.get("claims"), new TypeReference<List<PreparedClaim>>() {});
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  private static long crc(String s) {
    CRC32C c = new CRC32C();
    c.update(s.getBytes(StandardCharsets.UTF_8));
    return c.getValue();
  }
}
