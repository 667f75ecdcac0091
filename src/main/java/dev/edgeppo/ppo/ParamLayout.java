package dev.edgeppo.ppo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one description of SPEC §2's networks: their layers and activations ({@link #ACTOR},
 * {@link #CRITIC}), and from it the shapes, PyTorch names and offsets of every parameter. All
 * parameters, gradients and Adam moments are single float arrays laid out tensor after tensor in
 * {@link #tensors()} order (actor, log_std, critic), each tensor row-major {@code [out, in]} as PyTorch
 * stores it. {@link Policy} and {@link CpuBackend} run the layers through {@link Mlp}; the CUDA backend
 * launches one kernel per layer of the same list and passes the offsets computed here, so host and
 * device agree by construction.
 */
public final class ParamLayout {
  public static final int STATE_DIM = 5;
  public static final int ACTION_DIM = 2;

  /** What follows a linear layer; {@link #code()} is the kernels' ACT_* value. */
  public enum Activation {
    NONE, RELU, SIGMOID;

    public int code() { return ordinal(); }
  }

  /** A width in a layer spec: a number, or H (the hidden width, fixed per layout). */
  private static final int H = -1;

  /** One linear layer before H is known, with its activation and its orthogonal-init gain (SPEC §2). */
  private record LayerSpec(int in, int out, Activation act, double initGain) {
    int in(int h) { return in == H ? h : in; }
    int out(int h) { return out == H ? h : out; }
  }

  private static final double HIDDEN_GAIN = Math.sqrt(2.0);

  /** SPEC §2: Linear(5,H) ReLU Linear(H,H) ReLU Linear(H,2) Sigmoid, the mean of the action. */
  private static final List<LayerSpec> ACTOR = List.of(
      new LayerSpec(STATE_DIM, H, Activation.RELU, HIDDEN_GAIN),
      new LayerSpec(H, H, Activation.RELU, HIDDEN_GAIN),
      new LayerSpec(H, ACTION_DIM, Activation.SIGMOID, 0.01));

  /** SPEC §2: Linear(5,H) ReLU Linear(H,H) ReLU Linear(H,1), the value. */
  private static final List<LayerSpec> CRITIC = List.of(
      new LayerSpec(STATE_DIM, H, Activation.RELU, HIDDEN_GAIN),
      new LayerSpec(H, H, Activation.RELU, HIDDEN_GAIN),
      new LayerSpec(H, 1, Activation.NONE, 1.0));

  /** One named tensor: its shape and where it starts in the flat array. */
  public record Tensor(String name, int[] shape, int offset, int size) {
    public int rows() { return shape[0]; }
    public int cols() { return shape.length > 1 ? shape[1] : 1; }
  }

  /**
   * One linear layer y = act(x W^T + b) of a network: W is {@code [out, in]}. {@code initGain} is the
   * gain of its orthogonal initialisation.
   */
  public record Layer(Tensor weight, Tensor bias, int in, int out, Activation act, double initGain) {}

  private final int hidden;
  private final Map<String, Tensor> byName;
  private final List<Tensor> tensors;
  private final List<Layer> actor, critic;
  private final int size;

  /** The state-independent log standard deviation of the actions. */
  public final Tensor logStd;

  private ParamLayout(int h) {
    if (h < 1) throw new IllegalArgumentException("hidden must be >= 1, got " + h);
    this.hidden = h;
    var list = new ArrayList<Tensor>();
    int[] off = {0};
    actor = layers(list, off, "actor", ACTOR, h);
    logStd = add(list, off, "log_std", ACTION_DIM);
    critic = layers(list, off, "critic", CRITIC, h);
    this.tensors = Collections.unmodifiableList(list);
    var map = new LinkedHashMap<String, Tensor>();
    for (Tensor t : list) map.put(t.name(), t);
    this.byName = Collections.unmodifiableMap(map);
    this.size = off[0];
  }

  /** Names follow nn.Sequential: the linear layers sit at indices 0, 2, 4 with an activation between. */
  private static List<Layer> layers(List<Tensor> list, int[] off, String net, List<LayerSpec> specs, int h) {
    var out = new ArrayList<Layer>();
    for (int i = 0; i < specs.size(); i++) {
      LayerSpec s = specs.get(i);
      String prefix = net + "." + 2 * i;
      Tensor w = add(list, off, prefix + ".weight", s.out(h), s.in(h));
      Tensor b = add(list, off, prefix + ".bias", s.out(h));
      out.add(new Layer(w, b, s.in(h), s.out(h), s.act(), s.initGain()));
    }
    return List.copyOf(out);
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
  /** The actor's layers, input first; its output is the action mean. */
  public List<Layer> actor() { return actor; }
  /** The critic's layers, input first; its output is V(s). */
  public List<Layer> critic() { return critic; }

  public Tensor tensor(String name) {
    Tensor t = byName.get(name);
    if (t == null) throw new IllegalArgumentException("unknown parameter '" + name + "'; expected one of " + byName.keySet());
    return t;
  }

  /** Infers H from the shape of the actor's first weight ([H, 5]). */
  public static int hiddenFromShape(int[] actor0WeightShape) {
    if (actor0WeightShape.length != 2 || actor0WeightShape[1] != STATE_DIM)
      throw new IllegalArgumentException("actor.0.weight must have shape [H, " + STATE_DIM + "]");
    return actor0WeightShape[0];
  }
}
