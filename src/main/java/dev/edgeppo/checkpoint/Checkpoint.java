package dev.edgeppo.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.json.Json;
import dev.edgeppo.ppo.AdamState;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.ParamLayout;
import dev.edgeppo.ppo.PolicyParams;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.storage.StateFs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the agent learned, as one safetensors file: SPEC's parameter names, Adam's moments as
 * {@code optimizer.<name>.exp_avg} / {@code .exp_avg_sq}, and in the metadata the Adam step, the
 * update count, the hyperparameters and each tensor's CRC32C. Written atomically; read whole or refused.
 *
 * <p>Format version 2 carries the checksums and a mismatch is refused with the tensor's name. Version 1
 * files (written before checksums existed, or by hand) are still read, with {@code verified} false so the
 * caller can warn that their data could not be checked; the next checkpoint written is version 2.
 *
 * @param verified every tensor's data matched its stored CRC32C
 */
public record Checkpoint(PolicyParams params, AdamState adam, long updates, Hyperparameters hyperparameters,
                         Map<String, String> metadata, boolean verified) {
  public static final String FORMAT = "edgeppo-checkpoint";
  public static final String FORMAT_VERSION = "2";
  /** Read without checksums: what this program wrote before it had them. */
  static final String UNCHECKED_VERSION = "1";
  private static final ObjectMapper JSON = Json.MAPPER;

  public static void write(Path file, PpoLearner.Snapshot s, Hyperparameters hp, Map<String, String> extraMeta) throws IOException {
    write(StateFs.real(), file, s, hp, extraMeta);
  }

  public static void write(StateFs fs, Path file, PpoLearner.Snapshot s, Hyperparameters hp, Map<String, String> extraMeta)
      throws IOException {
    ParamLayout l = s.params().layout();
    Map<String, Safetensors.Tensor> t = new LinkedHashMap<>();
    for (ParamLayout.Tensor x : l.tensors()) {
      long[] shape = Arrays.stream(x.shape()).asLongStream().toArray();
      t.put(x.name(), new Safetensors.Tensor(shape, s.params().tensorCopy(x.name())));
      t.put("optimizer." + x.name() + ".exp_avg", new Safetensors.Tensor(shape, slice(s.adam().expAvg(), x)));
      t.put("optimizer." + x.name() + ".exp_avg_sq", new Safetensors.Tensor(shape, slice(s.adam().expAvgSq(), x)));
    }
    Map<String, String> meta = new LinkedHashMap<>(extraMeta);
    meta.put("format", FORMAT);
    meta.put("format_version", FORMAT_VERSION);
    meta.put("adam_step", Long.toString(s.adam().step()));
    meta.put("updates", Long.toString(s.updates()));
    meta.put("hyperparameters", JSON.writeValueAsString(hp));
    Safetensors.write(fs, file, t, meta);
  }

  public static Checkpoint read(Path file) throws IOException {
    Safetensors.Content c = Safetensors.read(file);
    try {
      return from(c);
    } catch (IllegalArgumentException e) {
      throw new Safetensors.FormatException(file + ": " + e.getMessage());
    }
  }

  static Checkpoint from(Safetensors.Content c) {
    Map<String, String> meta = c.metadata();
    if (!FORMAT.equals(meta.get("format")))
      throw new IllegalArgumentException("not an edgeppo checkpoint (metadata format is " + meta.get("format") + ")");
    String version = meta.get("format_version");
    boolean verified = meta.containsKey(Safetensors.CRC32C); // Safetensors.decode has checked them
    if (FORMAT_VERSION.equals(version)) {
      if (!verified) throw new IllegalArgumentException("format_version " + version + " but metadata '" + Safetensors.CRC32C + "' is missing");
    } else if (!UNCHECKED_VERSION.equals(version)) {
      throw new IllegalArgumentException("checkpoint format_version " + version + " is not supported (expected " + FORMAT_VERSION
          + ", or " + UNCHECKED_VERSION + " without checksums)");
    }
    Safetensors.Tensor a0 = c.tensors().get("actor.0.weight");
    if (a0 == null) throw new IllegalArgumentException("missing tensor 'actor.0.weight'");
    ParamLayout l = ParamLayout.of(ParamLayout.hiddenFromShape(Arrays.stream(a0.shape()).mapToInt(Math::toIntExact).toArray()));
    PolicyParams p = new PolicyParams(l);
    float[] m = new float[l.size()], v = new float[l.size()];
    int expected = 0;
    for (ParamLayout.Tensor x : l.tensors()) {
      copy(c, x.name(), x, p.data());
      copy(c, "optimizer." + x.name() + ".exp_avg", x, m);
      copy(c, "optimizer." + x.name() + ".exp_avg_sq", x, v);
      expected += 3;
    }
    if (c.tensors().size() != expected) {
      var extra = new java.util.TreeSet<>(c.tensors().keySet());
      for (ParamLayout.Tensor x : l.tensors()) {
        extra.remove(x.name());
        extra.remove("optimizer." + x.name() + ".exp_avg");
        extra.remove("optimizer." + x.name() + ".exp_avg_sq");
      }
      throw new IllegalArgumentException("unexpected tensors " + extra);
    }
    if (!p.allFinite()) throw new IllegalArgumentException("parameters hold non-finite values");
    long step = parseCount(meta, "adam_step"), updates = parseCount(meta, "updates");
    Hyperparameters hp;
    try {
      var node = JSON.readTree(require(meta, "hyperparameters"));
      if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode o && !o.has("hidden")) o.put("hidden", l.hidden());
      hp = Hyperparameters.withOverrides(node);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("metadata 'hyperparameters' is not valid: " + e.getMessage());
    }
    if (hp.hidden() != l.hidden())
      throw new IllegalArgumentException("hyperparameters say hidden=" + hp.hidden() + " but the tensors have H=" + l.hidden());
    return new Checkpoint(p, new AdamState(m, v, step), updates, hp, meta, verified);
  }

  private static void copy(Safetensors.Content c, String name, ParamLayout.Tensor x, float[] dst) {
    Safetensors.Tensor t = c.tensors().get(name);
    if (t == null) throw new IllegalArgumentException("missing tensor '" + name + "'");
    long[] want = Arrays.stream(x.shape()).asLongStream().toArray();
    if (!Arrays.equals(t.shape(), want))
      throw new IllegalArgumentException("tensor '" + name + "' has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(want));
    System.arraycopy(t.data(), 0, dst, x.offset(), x.size());
  }

  private static float[] slice(float[] a, ParamLayout.Tensor x) {
    return Arrays.copyOfRange(a, x.offset(), x.offset() + x.size());
  }

  private static String require(Map<String, String> meta, String key) {
    String v = meta.get(key);
    if (v == null) throw new IllegalArgumentException("metadata '" + key + "' is missing");
    return v;
  }

  private static long parseCount(Map<String, String> meta, String key) {
    String v = require(meta, key);
    try {
      long n = Long.parseLong(v);
      if (n < 0) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("metadata '" + key + "' is not a count: '" + v + "'");
    }
  }
}
