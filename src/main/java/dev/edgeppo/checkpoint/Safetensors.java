package dev.edgeppo.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeppo.json.Json;
import dev.edgeppo.storage.StateFs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The safetensors format, F32 tensors only: u64 little-endian header length, a JSON header of
 * {name: {dtype, shape, data_offsets}} plus string-valued {@code __metadata__}, then the raw
 * little-endian data. Reading validates everything before returning anything, so a damaged file is
 * refused whole with a message that says what is wrong.
 */
public final class Safetensors {
  private static final ObjectMapper JSON = Json.MAPPER;
  /** Larger headers are refused rather than allocated: safetensors itself caps them at 100 MB. */
  private static final long MAX_HEADER = 100L * 1024 * 1024;
  /** Metadata key of the per-tensor checksums. */
  public static final String CRC32C = "crc32c";

  private Safetensors() {}

  /** One F32 tensor. */
  public record Tensor(long[] shape, float[] data) {
    public Tensor {
      long n = 1;
      for (long d : shape) {
        if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
        n *= d;
      }
      if (n != data.length) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
    }
  }

  /** A whole file's content. */
  public record Content(Map<String, Tensor> tensors, Map<String, String> metadata) {}

  /** A file that is not valid safetensors, or not what the reader expects. */
  public static final class FormatException extends IOException {
    public FormatException(String message) { super(message); }
  }

  /**
   * The file's bytes. The metadata gains {@value #CRC32C}: a JSON object of each tensor's CRC32C (8 hex
   * digits, over its little-endian data), so a flipped bit in the data is refused at read like one in the
   * header is.
   */
  public static byte[] encode(Map<String, Tensor> tensors, Map<String, String> metadata) {
    if (metadata.containsKey(CRC32C)) throw new IllegalArgumentException("metadata '" + CRC32C + "' is written by encode itself");
    ObjectNode header = JSON.createObjectNode();
    ObjectNode m = header.putObject("__metadata__");
    metadata.forEach(m::put);
    ObjectNode sums = JSON.createObjectNode();
    for (var e : tensors.entrySet()) sums.put(e.getKey(), hex(crc(e.getValue().data())));
    m.put(CRC32C, sums.toString());
    long offset = 0;
    for (var e : tensors.entrySet()) {
      if (e.getKey().equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' is not a tensor name");
      ObjectNode t = header.putObject(e.getKey());
      t.put("dtype", "F32");
      var shape = t.putArray("shape");
      for (long d : e.getValue().shape()) shape.add(d);
      long end = offset + 4L * e.getValue().data().length;
      t.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] h;
    try {
      h = JSON.writeValueAsBytes(header);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    int padded = (h.length + 7) / 8 * 8; // safetensors pads the header with spaces to 8-byte alignment
    ByteBuffer buf = ByteBuffer.allocate(8 + padded + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(padded).put(h);
    for (int i = h.length; i < padded; i++) buf.put((byte) ' ');
    for (Tensor t : tensors.values()) for (float v : t.data()) buf.putFloat(v);
    return buf.array();
  }

  /** Writes atomically through {@link StateFs#replaceAtomically}: temp file, fsync, rename, directory fsync. */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
    write(StateFs.real(), file, tensors, metadata);
  }

  public static void write(StateFs fs, Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
    byte[] bytes = encode(tensors, metadata);
    fs.createDirectories(StateFs.parent(file));
    fs.replaceAtomically(file, f -> f.write(ByteBuffer.wrap(bytes)));
  }

  public static Content read(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    try {
      return decode(all);
    } catch (FormatException e) {
      throw new FormatException(file + ": " + e.getMessage());
    }
  }

  public static Content decode(byte[] all) throws FormatException {
    if (all.length < 8) throw new FormatException("truncated: " + all.length + " bytes, shorter than the 8-byte header length");
    long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (n < 2 || n > MAX_HEADER) throw new FormatException("header length " + Long.toUnsignedString(n) + " is not plausible");
    if (8 + n > all.length) throw new FormatException("truncated: header says " + n + " bytes of JSON but the file has " + (all.length - 8) + " after the length");
    if (all[8] != '{') throw new FormatException("header does not start with '{'");
    JsonNode header;
    try {
      header = JSON.readTree(new String(all, 8, (int) n, StandardCharsets.UTF_8).stripTrailing());
    } catch (IOException e) {
      throw new FormatException("header is not valid JSON: " + e.getMessage());
    }
    if (header == null || !header.isObject()) throw new FormatException("header is not a JSON object");
    long dataStart = 8 + n, dataLen = all.length - dataStart;
    Map<String, String> meta = new LinkedHashMap<>();
    record Span(String name, long begin, long end) {}
    List<Span> spans = new ArrayList<>();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      var e = it.next();
      String name = e.getKey();
      JsonNode v = e.getValue();
      if (name.equals("__metadata__")) {
        if (!v.isObject()) throw new FormatException("__metadata__ is not an object");
        for (var m = v.fields(); m.hasNext(); ) {
          var f = m.next();
          if (!f.getValue().isTextual()) throw new FormatException("metadata value of '" + f.getKey() + "' is not a string");
          meta.put(f.getKey(), f.getValue().asText());
        }
        continue;
      }
      if (!v.isObject()) throw new FormatException("tensor '" + name + "' is not an object");
      String dtype = v.path("dtype").asText("");
      if (!dtype.equals("F32")) throw new FormatException("tensor '" + name + "' has dtype '" + dtype + "'; only F32 is supported");
      JsonNode sh = v.get("shape"), off = v.get("data_offsets");
      if (sh == null || !sh.isArray()) throw new FormatException("tensor '" + name + "' has no shape");
      if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong())
        throw new FormatException("tensor '" + name + "' has no valid data_offsets");
      long[] shape = new long[sh.size()];
      long count = 1;
      for (int i = 0; i < shape.length; i++) {
        if (!sh.get(i).canConvertToLong() || sh.get(i).asLong() < 0) throw new FormatException("tensor '" + name + "' has a bad shape " + sh);
        shape[i] = sh.get(i).asLong();
        count = Math.multiplyExact(count, shape[i]);
      }
      long b = off.get(0).asLong(), end = off.get(1).asLong();
      if (b < 0 || end < b || end > dataLen)
        throw new FormatException("tensor '" + name + "' has data_offsets [" + b + ", " + end + "] outside the " + dataLen + "-byte data (truncated?)");
      if (end - b != 4 * count)
        throw new FormatException("tensor '" + name + "' spans " + (end - b) + " bytes but its shape " + sh + " needs " + 4 * count);
      spans.add(new Span(name, b, end));
      shapes.put(name, shape);
    }
    spans.sort((x, y) -> Long.compare(x.begin(), y.begin()));
    long cursor = 0;
    for (Span s : spans) {
      if (s.begin() != cursor)
        throw new FormatException(s.begin() < cursor ? "tensor '" + s.name() + "' overlaps another" : "a hole before tensor '" + s.name() + "'");
      cursor = s.end();
    }
    if (cursor != dataLen) throw new FormatException((dataLen - cursor) + " bytes after the last tensor");
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    ByteBuffer data = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    for (var e : shapes.entrySet()) {
      Span s = spans.stream().filter(x -> x.name().equals(e.getKey())).findFirst().orElseThrow();
      float[] v = new float[(int) ((s.end() - s.begin()) / 4)];
      for (int i = 0; i < v.length; i++) v[i] = data.getFloat((int) (dataStart + s.begin() + 4L * i));
      tensors.put(e.getKey(), new Tensor(e.getValue(), v));
    }
    verifyChecksums(tensors, meta);
    return new Content(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(meta));
  }

  /** Refuses a tensor whose data does not match its stored CRC32C; a file without checksums passes (its reader decides). */
  private static void verifyChecksums(Map<String, Tensor> tensors, Map<String, String> meta) throws FormatException {
    String stored = meta.get(CRC32C);
    if (stored == null) return;
    JsonNode sums;
    try {
      sums = JSON.readTree(stored);
    } catch (IOException e) {
      throw new FormatException("metadata '" + CRC32C + "' is not valid JSON: " + e.getMessage());
    }
    if (sums == null || !sums.isObject()) throw new FormatException("metadata '" + CRC32C + "' is not a JSON object");
    for (var e : tensors.entrySet()) {
      JsonNode want = sums.get(e.getKey());
      if (want == null || !want.isTextual()) throw new FormatException("tensor '" + e.getKey() + "' has no checksum in metadata '" + CRC32C + "'");
      String got = hex(crc(e.getValue().data()));
      if (!got.equalsIgnoreCase(want.asText()))
        throw new FormatException("tensor '" + e.getKey() + "': its data fails its CRC32C check (stored " + want.asText()
            + ", computed " + got + "): the file is corrupt");
    }
    for (var it = sums.fieldNames(); it.hasNext(); ) {
      String n = it.next();
      if (!tensors.containsKey(n)) throw new FormatException("metadata '" + CRC32C + "' names tensor '" + n + "', which the file lacks");
    }
  }

  private static int crc(float[] data) {
    ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : data) b.putFloat(v);
    CRC32C c = new CRC32C();
    c.update(b.array());
    return (int) c.getValue();
  }

  private static String hex(int v) { return String.format("%08x", v); }
}
