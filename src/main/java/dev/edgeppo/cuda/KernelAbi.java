package dev.edgeppo.cuda;

import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.ParamLayout;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Everything the Java host code and the kernels of cuda-kernels/ must agree on, written once, here:
 * the slots of the metric and scalar arrays, the activation codes, the fused kernel's limits, the
 * rows per lane of linear_forward, and the two structs passed by value: struct Layout carries the layer
 * tables of {@link ParamLayout}'s networks, which the fused kernel walks. {@link #header()} renders it
 * as cuda-kernels/generated/consts.h, which every kernel includes; KernelAbiTest fails when the
 * committed header is not exactly that text (`make kernel-header` rewrites it), so no copy can drift.
 */
final class KernelAbi {
  private KernelAbi() {}

  static final String HEADER_PATH = "cuda-kernels/generated/consts.h";

  /**
   * Slots of the metric sums, accumulated over an update's steps and copied back once. The
   * {@link #perStep} ones are also the slots of the stats array: one step's values, added to the sums
   * only when the guard lets the step go ahead.
   */
  enum Metric {
    POLICY(true, "policy loss"),
    VALUE(true, "value loss"),
    ENTROPY(true, "entropy"),
    KL(true, "approx_kl"),
    CLIP(true, "clip_fraction"),
    GRAD_NORM(false, "gradient norm before clipping"),
    STEPS(false, "steps run"),
    SKIPPED(false, "steps the non-finite guard skipped"),
    EXPLAINED_VAR(false, "explained variance, written once"),
    ERROR(false, "set by a kernel asked for shapes it cannot handle");

    final boolean perStep;
    final String doc;

    Metric(boolean perStep, String doc) {
      this.perStep = perStep;
      this.doc = doc;
    }

    int slot() { return ordinal(); }
  }

  static final int METRIC_COUNT = Metric.values().length;
  /** Metric slots [0, STEP_STATS) are per-step statistics (see {@link Metric}). */
  static final int STEP_STATS = (int) java.util.Arrays.stream(Metric.values()).filter(m -> m.perStep).count();

  static {
    for (Metric m : Metric.values())
      if (m.perStep != m.ordinal() < STEP_STATS) throw new AssertionError("per-step metrics must come first");
  }

  /** Per-step scalars written by one phase and read by the next. */
  enum Scalar {
    LOSS("this step's loss (finiteness guard)"),
    APPLY("1 when the step goes ahead, 0 when the guard skips it"),
    COEF("gradient scale from clipping (1 when not clipping)"),
    STEP_SIZE("lr / (1 - beta1^t)"),
    BC2_SQRT("sqrt(1 - beta2^t)"),
    APPLIED("steps applied so far in this update");

    final String doc;

    Scalar(String doc) { this.doc = doc; }

    int slot() { return ordinal(); }
  }

  static final int SCALAR_COUNT = Scalar.values().length;

  /**
   * Every block-cooperative kernel is launched with at most this many threads (a power of two): the
   * reduction scratch in shared memory is sized for it.
   */
  static final int MAX_THREADS = 256;
  /** The fused kernel keeps a minibatch's activations in shared memory: at most this many rows... */
  static final int FUSED_MAX_ROWS = 32;
  /** ...of at most this many units per hidden layer. */
  static final int FUSED_MAX_H = 64;
  /** Rows per lane of linear_fwd: each weight a lane loads serves this many rows from a register. */
  static final int LINEAR_ROWS = 8;

  /**
   * struct PpoConsts: one update's constants, computed on the host in double and rounded once (as torch
   * does with Python scalars). Its components, in order, are the C struct's fields (in snake_case).
   *
   * @param beta1    Adam's β1, in double: the kernels form the bias corrections in double and round
   *                 (1 - β1) once, as torch and the CPU backend do
   * @param adamStep Adam's step count before this update (its low 31 bits; see adam.cu)
   */
  record PpoConsts(double beta1, double beta2, float gamma, float gammaLambda, float clipEps, float clipLo,
                   float clipHi, float valueCoef, float entropyCoef, float maxGradNorm, float lr, float adamEps,
                   float logStdMin, float logStdMax, int epochs, int minibatch, int normalize, int t, int adamStep) {
    /**
     * Adam's step is capped: beyond ~1e5 steps both bias corrections are exactly 1 in double, so the cap
     * changes nothing.
     */
    static PpoConsts of(Hyperparameters hp, int t, long adamStep) {
      float eps = (float) hp.clipEpsilon();
      return new PpoConsts(Hyperparameters.ADAM_BETA1, Hyperparameters.ADAM_BETA2, (float) hp.gamma(),
          (float) hp.gamma() * (float) hp.gaeLambda(), // as the CPU backend
          eps, 1f - eps, 1f + eps, (float) hp.valueCoef(), (float) hp.entropyCoef(), (float) hp.maxGradNorm(),
          (float) hp.learningRate(), (float) hp.adamEps(), (float) Hyperparameters.LOG_STD_MIN,
          (float) Hyperparameters.LOG_STD_MAX, hp.epochs(), hp.minibatchFor(t), hp.normalizeAdvantages() ? 1 : 0, t,
          (int) Math.min(adamStep, 1 << 30));
    }

    /** The struct's bytes as the C compiler lays them out (natural alignment, little-endian). */
    byte[] bytes() {
      ByteBuffer b = ByteBuffer.allocate(structSize(PpoConsts.class)).order(ByteOrder.LITTLE_ENDIAN);
      for (RecordComponent c : PpoConsts.class.getRecordComponents()) {
        Object v;
        try {
          v = c.getAccessor().invoke(this);
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
        int size = sizeOf(c.getType());
        b.position(align(b.position(), size));
        switch (v) {
          case Double d -> b.putDouble(d);
          case Float f -> b.putFloat(f);
          case Integer i -> b.putInt(i);
          default -> throw new IllegalStateException("no C type for " + c);
        }
      }
      return b.array();
    }
  }

  /** One network's layer table in struct Layout: its C member and its layers, input first. */
  private record Net(String member, String count, List<ParamLayout.Layer> layers) {}

  /** struct Layout's layer tables, in member order: the actor, then (after log_std) the critic. */
  private static List<Net> nets(ParamLayout l) {
    return List.of(new Net("actor", "ACTOR_LAYERS", l.actor()), new Net("critic", "CRITIC_LAYERS", l.critic()));
  }

  /** struct LayerAt's members, one int each, in order. */
  private static final List<String> LAYER_MEMBERS = List.of("w", "b", "in", "out", "act");

  private static int[] layerAt(ParamLayout.Layer y) {
    return new int[] {y.weight().offset(), y.bias().offset(), y.in(), y.out(), y.act().code()};
  }

  /**
   * struct Layout: H, each network's layer table (every layer's weight and bias offsets in the flat
   * parameter array, its widths and activation), log_std's offset and the total size; the kernels hold
   * no layout knowledge of their own, and the fused kernel walks the tables.
   */
  static byte[] layout(ParamLayout l) {
    List<Net> nets = nets(l);
    int ints = 3 + nets.stream().mapToInt(n -> n.layers().size() * LAYER_MEMBERS.size()).sum();
    ByteBuffer b = ByteBuffer.allocate(4 * ints).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(l.hidden());
    for (ParamLayout.Layer y : nets.get(0).layers()) for (int v : layerAt(y)) b.putInt(v);
    b.putInt(l.logStd.offset());
    for (ParamLayout.Layer y : nets.get(1).layers()) for (int v : layerAt(y)) b.putInt(v);
    b.putInt(l.size());
    return b.array();
  }

  /** A tensor's place in struct Layout: actor.0.weight is actor[0].w, critic.4.bias critic[2].b, log_std itself. */
  static String fieldName(ParamLayout l, ParamLayout.Tensor t) {
    for (Net n : nets(l))
      for (int i = 0; i < n.layers().size(); i++) {
        if (n.layers().get(i).weight().name().equals(t.name())) return n.member() + "[" + i + "].w";
        if (n.layers().get(i).bias().name().equals(t.name())) return n.member() + "[" + i + "].b";
      }
    if (t.name().equals(l.logStd.name())) return "log_std";
    throw new IllegalStateException(t.name() + " has no place in struct Layout");
  }

  /** The widest layer output the fused kernel keeps in a shared-memory slab (every layer's but the last). */
  static int widestHidden(ParamLayout l) {
    int w = 0;
    for (Net n : nets(l))
      for (ParamLayout.Layer y : n.layers().subList(0, n.layers().size() - 1)) w = Math.max(w, y.out());
    return w;
  }

  /** A width as C for edgeppo_layout(h): "h" where it is H (it differs between H 2 and H 3), else the number. */
  private static String width(String what, int atH2, int atH3) {
    if (atH2 == 2 && atH3 == 3) return "h";
    if (atH2 == atH3) return Integer.toString(atH2);
    throw new IllegalStateException(what + ": a width that is neither H nor fixed");
  }

  private static int sizeOf(Class<?> type) {
    if (type == double.class) return 8;
    if (type == float.class || type == int.class) return 4;
    throw new IllegalStateException("no C type for " + type);
  }

  private static String cType(Class<?> type) {
    if (type == double.class || type == float.class || type == int.class) return type.getName();
    throw new IllegalStateException("no C type for " + type);
  }

  private static int align(int at, int to) { return (at + to - 1) / to * to; }

  private static int structSize(Class<? extends Record> r) {
    int at = 0, widest = 1;
    for (RecordComponent c : r.getRecordComponents()) {
      int s = sizeOf(c.getType());
      at = align(at, s) + s;
      widest = Math.max(widest, s);
    }
    return align(at, widest);
  }

  static String snake(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
  }

  /** The text of cuda-kernels/generated/consts.h. */
  static String header() {
    var s = new StringBuilder();
    s.append("// GENERATED from dev.edgeppo.cuda.KernelAbi (and dev.edgeppo.ppo.ParamLayout): do not edit.\n");
    s.append("// `make kernel-header` rewrites it; KernelAbiTest fails when it differs from what Java would write.\n");
    s.append("#ifndef EDGEPPO_GENERATED_CONSTS_H\n#define EDGEPPO_GENERATED_CONSTS_H\n\n");
    s.append("#define STATE_DIM ").append(ParamLayout.STATE_DIM).append('\n');
    s.append("#define ACTION_DIM ").append(ParamLayout.ACTION_DIM).append("\n\n");
    s.append("// Activation applied after a linear layer.\n");
    for (ParamLayout.Activation a : ParamLayout.Activation.values())
      s.append("#define ACT_").append(a.name()).append(' ').append(a.code()).append('\n');
    s.append("\n// Block size limit of the block-cooperative kernels (a power of two): reduction scratch is sized for it.\n");
    s.append("#define EDGEPPO_MAX_THREADS ").append(MAX_THREADS).append('\n');
    s.append("// The fused kernel's shared memory holds minibatches of at most FUSED_MAX_ROWS rows, hidden widths <= FUSED_MAX_H.\n");
    s.append("#define FUSED_MAX_ROWS ").append(FUSED_MAX_ROWS).append('\n');
    s.append("#define FUSED_MAX_H ").append(FUSED_MAX_H).append('\n');
    s.append("// Rows per lane of linear_fwd.\n");
    s.append("#define LINEAR_ROWS ").append(LINEAR_ROWS).append("\n\n");
    s.append("// Per-step scalars written by one phase and read by the next.\n");
    for (Scalar c : Scalar.values())
      s.append("#define SC_").append(c.name()).append(' ').append(c.slot()).append("  // ").append(c.doc).append('\n');
    s.append("#define SC_COUNT ").append(SCALAR_COUNT).append("\n\n");
    s.append("// Metric sums accumulated over an update's steps and copied back once (UpdateMetrics). Slots\n");
    s.append("// [0, M_STEP_STATS) are also those of a step's stats, added only when the step is applied.\n");
    for (Metric m : Metric.values())
      s.append("#define M_").append(m.name()).append(' ').append(m.slot()).append("  // ").append(m.doc).append('\n');
    s.append("#define M_STEP_STATS ").append(STEP_STATS).append('\n');
    s.append("#define M_COUNT ").append(METRIC_COUNT).append("\n\n");
    s.append("// One linear layer y = act(x W^T + b) of a network: where W [out, in] and b [out] start in the flat\n");
    s.append("// parameter (and gradient, and Adam-moment) array, its widths and its activation (ACT_*).\n");
    s.append("struct LayerAt {\n");
    for (String m : LAYER_MEMBERS) s.append("  int ").append(m).append(";\n");
    s.append("};\n\n");
    ParamLayout at2 = ParamLayout.of(2), at3 = ParamLayout.of(3);
    s.append("// The networks of ParamLayout, input layer first, and the activation of each one's output layer\n");
    s.append("// (which the loss assumes: see fused.cu).\n");
    for (Net n : nets(at2)) {
      s.append("#define ").append(n.count()).append(' ').append(n.layers().size()).append('\n');
      s.append("#define ").append(n.member().toUpperCase(java.util.Locale.ROOT)).append("_OUT_ACT ACT_")
          .append(n.layers().getLast().act().name()).append('\n');
    }
    s.append("\n// Everything the kernels know of the networks' shapes and where their tensors start.\n");
    s.append("struct Layout {\n  int h;\n");
    s.append("  LayerAt actor[ACTOR_LAYERS];\n  int log_std;\n  LayerAt critic[CRITIC_LAYERS];\n");
    s.append("  int size;\n};\n\n");
    s.append("// struct Layout for H hidden units as ParamLayout.of(h) lays it out, for host-side drivers (the\n");
    s.append("// Java host passes its own).\n");
    s.append("static inline Layout edgeppo_layout(int h) {\n  Layout L = {};\n  int off = 0;\n  L.h = h;\n");
    List<ParamLayout.Tensor> t2 = at2.tensors(), t3 = at3.tensors();
    for (int i = 0; i < t2.size(); i++) {
      var size = new java.util.StringJoiner(" * ");
      for (int d = 0; d < t2.get(i).shape().length; d++)
        size.add(width(t2.get(i).name(), t2.get(i).shape()[d], t3.get(i).shape()[d]));
      String field = fieldName(at2, t2.get(i));
      s.append("  L.").append(field).append(" = off;");
      if (!field.equals(t2.get(i).name())) s.append("  // ").append(t2.get(i).name());
      s.append("\n  off += ").append(size).append(";\n");
    }
    List<Net> n2 = nets(at2), n3 = nets(at3);
    for (int k = 0; k < n2.size(); k++)
      for (int i = 0; i < n2.get(k).layers().size(); i++) {
        ParamLayout.Layer a = n2.get(k).layers().get(i), b = n3.get(k).layers().get(i);
        String at = "  L." + n2.get(k).member() + "[" + i + "].";
        s.append(at).append("in = ").append(width(a.weight().name(), a.in(), b.in())).append(";\n");
        s.append(at).append("out = ").append(width(a.weight().name(), a.out(), b.out())).append(";\n");
        s.append(at).append("act = ACT_").append(a.act().name()).append(";\n");
      }
    s.append("  L.size = off;\n  return L;\n}\n\n");
    s.append("// One update's constants (KernelAbi.PpoConsts).\n");
    s.append("struct PpoConsts {\n");
    for (RecordComponent c : PpoConsts.class.getRecordComponents())
      s.append("  ").append(cType(c.getType())).append(' ').append(snake(c.getName())).append(";\n");
    s.append("};\n\n#endif\n");
    return s.toString();
  }
}
