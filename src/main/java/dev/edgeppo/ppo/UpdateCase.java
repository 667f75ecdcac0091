package dev.edgeppo.ppo;

import static dev.edgeppo.ppo.ParamLayout.ACTION_DIM;
import static dev.edgeppo.ppo.ParamLayout.STATE_DIM;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeppo.json.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An update-case file of SPEC §2 (hyperparameters, parameters, batch), optionally with the reference's
 * {@code expected} block; and the RESULT.json that {@code train-once} writes. H is read from the shapes.
 */
public record UpdateCase(Hyperparameters hyperparameters, PolicyParams parameters, RolloutBatch batch, JsonNode expected) {
  static final ObjectMapper JSON = Json.MAPPER;

  public static UpdateCase read(Path file) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
    }
    try {
      return parse(root);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  public static UpdateCase parse(JsonNode root) {
    JsonNode pj = need(root, "parameters");
    JsonNode a0 = need(pj, "actor.0.weight");
    int h = ParamLayout.hiddenFromShape(shape(a0));
    PolicyParams params = parameters(pj, ParamLayout.of(h));
    Hyperparameters hp = Hyperparameters.withOverrides(need(root, "hyperparameters")).withHidden(h);
    JsonNode b = need(root, "batch");
    int t = need(b, "rewards").size();
    RolloutBatch batch = new RolloutBatch(t, flat(b, "states", t, STATE_DIM), flat(b, "actions", t, ACTION_DIM),
        flat(b, "log_probs", t, 1), flat(b, "values", t, 1), flat(b, "rewards", t, 1),
        flat(b, "next_states", t, STATE_DIM), flat(b, "dones", t, 1));
    return new UpdateCase(hp.withBatchSize(t), params, batch, root.get("expected"));
  }

  /** Reads every tensor of {@code layout} from a {name: nested list} object, checking shapes. */
  public static PolicyParams parameters(JsonNode pj, ParamLayout layout) {
    PolicyParams p = new PolicyParams(layout);
    for (ParamLayout.Tensor t : layout.tensors()) {
      JsonNode n = need(pj, t.name());
      int[] s = shape(n);
      if (!java.util.Arrays.equals(s, t.shape()))
        throw new IllegalArgumentException(t.name() + " has shape " + java.util.Arrays.toString(s)
            + ", expected " + java.util.Arrays.toString(t.shape()));
      float[] v = new float[t.size()];
      int[] i = {0};
      fill(n, v, i, t.name());
      p.setTensor(t.name(), v);
    }
    var extra = new java.util.ArrayList<String>();
    pj.fieldNames().forEachRemaining(f -> { if (layout.tensors().stream().noneMatch(t -> t.name().equals(f))) extra.add(f); });
    if (!extra.isEmpty()) throw new IllegalArgumentException("unknown parameters " + extra);
    return p;
  }

  public static ObjectNode parametersToJson(PolicyParams p) {
    ObjectNode o = JSON.createObjectNode();
    for (ParamLayout.Tensor t : p.layout().tensors()) {
      float[] v = p.tensorCopy(t.name());
      if (t.shape().length == 1) {
        ArrayNode a = o.putArray(t.name());
        for (float x : v) a.add(x);
      } else {
        ArrayNode rows = o.putArray(t.name());
        for (int r = 0; r < t.rows(); r++) {
          ArrayNode row = rows.addArray();
          for (int c = 0; c < t.cols(); c++) row.add(v[r * t.cols() + c]);
        }
      }
    }
    return o;
  }

  /** RESULT.json of train-once: {"parameters": ..., "metrics": ...}. */
  public static ObjectNode result(PolicyParams p, UpdateMetrics m) {
    ObjectNode o = JSON.createObjectNode();
    o.set("parameters", parametersToJson(p));
    o.set("metrics", JSON.valueToTree(m));
    return o;
  }

  public static ObjectMapper json() { return JSON; }

  private static JsonNode need(JsonNode n, String field) {
    JsonNode v = n == null ? null : n.get(field);
    if (v == null || v.isNull()) throw new IllegalArgumentException("missing field '" + field + "'");
    return v;
  }

  private static int[] shape(JsonNode n) {
    if (!n.isArray()) throw new IllegalArgumentException("expected a list");
    if (n.size() > 0 && n.get(0).isArray()) return new int[] {n.size(), n.get(0).size()};
    return new int[] {n.size()};
  }

  private static void fill(JsonNode n, float[] v, int[] i, String name) {
    for (JsonNode e : n) {
      if (e.isArray()) fill(e, v, i, name);
      else {
        if (!e.isNumber()) throw new IllegalArgumentException(name + " holds a non-number: " + e);
        if (i[0] >= v.length) throw new IllegalArgumentException(name + " has ragged rows");
        v[i[0]++] = e.floatValue();
      }
    }
  }

  private static float[] flat(JsonNode b, String field, int t, int width) {
    JsonNode n = need(b, field);
    if (n.size() != t) throw new IllegalArgumentException("batch." + field + " has " + n.size() + " rows, rewards has " + t);
    float[] v = new float[t * width];
    int k = 0;
    for (JsonNode row : n) {
      if (width == 1) {
        if (!row.isNumber()) throw new IllegalArgumentException("batch." + field + " holds a non-number: " + row);
        v[k++] = row.floatValue();
      } else {
        if (!row.isArray() || row.size() != width)
          throw new IllegalArgumentException("batch." + field + " rows must have " + width + " numbers");
        for (JsonNode x : row) {
          if (!x.isNumber()) throw new IllegalArgumentException("batch." + field + " holds a non-number: " + x);
          v[k++] = x.floatValue();
        }
      }
    }
    return v;
  }

  /** Expected parameters of a reference case, by name. */
  public Map<String, float[]> expectedParameters() {
    Map<String, float[]> m = new LinkedHashMap<>();
    PolicyParams e = parameters(expected.get("parameters"), parameters.layout());
    for (ParamLayout.Tensor t : parameters.layout().tensors()) m.put(t.name(), e.tensorCopy(t.name()));
    return m;
  }
}
