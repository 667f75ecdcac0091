package dev.edgeppo.ppo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place that knows the networks' shapes and parameter names (SPEC §2). All parameters,
 * gradients and Adam moments are single float arrays laid out tensor after tensor in {@link #tensors()}
 * order, each tensor row-major {@code [out, in]} as PyTorch stores it. The CUDA kernels receive the
 * offsets computed here, so host and device agree by construction.
 */
public final class ParamLayout {
  public static final int STATE_DIM = 5;
  public static final int ACTION_DIM = 2;

  /** One named tensor: its shape and where it starts in the flat array. */
  public record Tensor(String name, int[] shape, int offset, int size) {
    public int rows() { return shape[0]; }
    public int cols() { return shape.length > 1 ? shape[1] : 1; }
  }

  private final int hidden;
  private final Map<String, Tensor> byName;
  private final List<Tensor> tensors;
  private final int size;

  public final Tensor actor0W, actor0B, actor2W, actor2B, actor4W, actor4B, logStd;
  public final Tensor critic0W, critic0B, critic2W, critic2B, critic4W, critic4B;

  private ParamLayout(int h) {
    if (h < 1) throw new IllegalArgumentException("hidden must be >= 1, got " + h);
    this.hidden = h;
    var list = new ArrayList<Tensor>();
    int[] off = {0};
    actor0W = add(list, off, "actor.0.weight", h, STATE_DIM);
    actor0B = add(list, off, "actor.0.bias", h);
    actor2W = add(list, off, "actor.2.weight", h, h);
    actor2B = add(list, off, "actor.2.bias", h);
    actor4W = add(list, off, "actor.4.weight", ACTION_DIM, h);
    actor4B = add(list, off, "actor.4.bias", ACTION_DIM);
    logStd = add(list, off, "log_std", ACTION_DIM);
    critic0W = add(list, off, "critic.0.weight", h, STATE_DIM);
    critic0B = add(list, off, "critic.0.bias", h);
    critic2W = add(list, off, "critic.2.weight", h, h);
    critic2B = add(list, off, "critic.2.bias", h);
    critic4W = add(list, off, "critic.4.weight", 1, h);
    critic4B = add(list, off, "critic.4.bias", 1);
    this.tensors = Collections.unmodifiableList(list);
    var map = new LinkedHashMap<String, Tensor>();
    for (Tensor t : list) map.put(t.name(), t);
    this.byName = Collections.unmodifiableMap(map);
    this.size = off[0];
  }

  private static Tensor add(List<Tensor> list, int[] off, String name, int... shape) {
    int n = 1;
    for (int d : shape) n *= d;
    Tensor t = new Tensor(name, shape, off[0], n);
    off[0] += n;
    list.add(t);
    return t;
  }

  public static ParamLayout of(int hidden) { return new ParamLayout(hidden); }

  public int hidden() { return hidden; }
  public int size() { return size; }
  public List<Tensor> tensors() { return tensors; }

  public Tensor tensor(String name) {
    Tensor t = byName.get(name);
    if (t == null) throw new IllegalArgumentException("unknown parameter '" + name + "'; expected one of " + byName.keySet());
    return t;
  }

  /** Infers H from the shape of actor.0.weight ([H, 5]). */
  public static int hiddenFromShape(int[] actor0WeightShape) {
    if (actor0WeightShape.length != 2 || actor0WeightShape[1] != STATE_DIM)
      throw new IllegalArgumentException("actor.0.weight must have shape [H, " + STATE_DIM + "]");
    return actor0WeightShape[0];
  }
}
