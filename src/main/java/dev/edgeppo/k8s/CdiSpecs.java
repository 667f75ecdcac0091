package dev.edgeppo.k8s;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeppo.json.Json;
import dev.edgeppo.storage.StateFs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Our CDI spec files, one per prepared claim, in the runtime's CDI directory ({@code --cdi-dir}): kind
 * {@code edgeppo.dev/gpu-share}, one device named by the claim's UID whose container edits set
 * {@link ShareLimits}. The container runtime resolves {@code edgeppo.dev/gpu-share=<claim uid>} against it.
 *
 * <p>Written atomically ({@link StateFs#replaceAtomically}: temp file, fsync, rename, directory fsync): a
 * runtime scanning the directory sees the old file or the new, never half of one. The temp name ends in
 * {@code .tmp}, not {@code .json}, so no runtime reads it as a spec.
 */
public final class CdiSpecs {
  /**
   * The lowest CDI version that has everything we write (device names may start with a digit, a claim UID
   * does: 0.5.0). The CDI project's current version is 1.1.0; a runtime reads every version up to the one
   * its CDI library knows, so the lowest sufficient one is read by old and new runtimes alike.
   */
  public static final String CDI_VERSION = "0.5.0";
  private static final ObjectMapper JSON = Json.MAPPER;
  private static final StateFs FS = StateFs.real();
  /** CDI device names: letters, digits, '-', '_', '.', ':'; a claim UID is of that alphabet. */
  private static final Pattern DEVICE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]*");

  private final Path dir;

  public CdiSpecs(Path dir) throws IOException {
    this.dir = dir.toAbsolutePath();
    Files.createDirectories(this.dir);
  }

  public Path dir() { return dir; }

  /** The fully qualified CDI device id of a claim's share. */
  public static String deviceId(String claimUid) { return DraNames.CDI_KIND + "=" + claimUid; }

  /** The file that holds a claim's spec ("vendor-class_uid.json", the CDI library's naming of transient specs). */
  public Path file(String claimUid) {
    checkName(claimUid);
    return dir.resolve(DraNames.CDI_VENDOR + "-" + DraNames.CDI_CLASS + "_" + claimUid + ".json");
  }

  /** Writes (or rewrites) the spec of a claim, durably, and returns its file. */
  public Path write(String claimUid, int cores, long memoryMib) throws IOException {
    Path target = file(claimUid);
    byte[] body = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(spec(claimUid, cores, memoryMib));
    // The runtime may run as another user: the spec holds no secret, so everyone may read it.
    FS.replaceAtomically(target, PosixFilePermissions.fromString("rw-r--r--"), f -> f.write(ByteBuffer.wrap(body)));
    return target;
  }

  /** Removes a claim's spec; true if there was one. */
  public boolean remove(String claimUid) throws IOException {
    boolean had = Files.deleteIfExists(file(claimUid));
    if (had) FS.fsyncDir(dir);
    return had;
  }

  static ObjectNode spec(String claimUid, int cores, long memoryMib) {
    ObjectNode root = JSON.createObjectNode();
    root.put("cdiVersion", CDI_VERSION);
    root.put("kind", DraNames.CDI_KIND);
    ArrayNode devices = root.putArray("devices");
    ObjectNode device = devices.addObject();
    device.put("name", claimUid);
    ArrayNode env = device.putObject("containerEdits").putArray("env");
    for (Map.Entry<String, String> e : ShareLimits.env(cores, memoryMib).entrySet()) env.add(e.getKey() + "=" + e.getValue());
    return root;
  }

  private static void checkName(String claimUid) {
    if (claimUid == null || !DEVICE_NAME.matcher(claimUid).matches())
      throw new IllegalArgumentException("claim uid '" + claimUid + "' is not a valid CDI device name");
  }

  /** For tests and diagnostics: the spec's text as written. */
  static String text(Path file) throws IOException { return Files.readString(file, StandardCharsets.UTF_8); }
}
