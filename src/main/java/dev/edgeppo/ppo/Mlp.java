package dev.edgeppo.ppo;

import java.util.List;

/**
 * One of the networks of {@link ParamLayout} as a chain of {@link Dense} layers: the forward pass over
 * a minibatch, keeping each layer's activated output, and its exact backward. {@link CpuBackend} trains
 * through it and {@link Policy} serves through it, so the action a request gets and the log-prob the
 * update recomputes come from the same arithmetic.
 *
 * <p>It holds the transposed weights the wide layers read ({@link #transpose} refreshes them); nothing
 * else, so once transposed it may be shared by threads that bring their own output buffers.
 */
final class Mlp {
  private final List<ParamLayout.Layer> layers;
  /** W^T ([in, out]) per layer; null where the layer is narrower than a vector and Dense reads W itself. */
  private final float[][] wt;

  Mlp(List<ParamLayout.Layer> layers) {
    this.layers = layers;
    wt = new float[layers.size()][];
    for (int i = 0; i < wt.length; i++) {
      ParamLayout.Layer l = layers.get(i);
      if (l.out() >= Dense.L) wt[i] = new float[l.in() * l.out()];
    }
  }

  int inputs() { return layers.getFirst().in(); }
  int outputs() { return layers.getLast().out(); }

  /** Output buffers for {@code rows} rows: one per layer, [rows, out]. */
  float[][] buffers(int rows) {
    float[][] b = new float[layers.size()][];
    for (int i = 0; i < b.length; i++) b[i] = new float[rows * layers.get(i).out()];
    return b;
  }

  /** Copies the weights of {@code p} into the transposed layout the wide layers read. */
  void transpose(float[] p) {
    for (int i = 0; i < wt.length; i++) {
      ParamLayout.Layer l = layers.get(i);
      if (wt[i] != null) Dense.transpose(p, l.weight().offset(), l.out(), l.in(), wt[i]);
    }
  }

  /** x [n, in] through every layer: out[i] receives layer i's activated output [n, out_i]. */
  void forward(int n, float[] x, float[] p, float[][] out) { forward(n, x, p, out, !Dense.VECTOR); }

  /** {@link #forward} on the path given ({@code scalar} false: the Vector API), for comparing the two. */
  void forward(int n, float[] x, float[] p, float[][] out, boolean scalar) {
    float[] in = x;
    for (int i = 0; i < wt.length; i++) {
      ParamLayout.Layer l = layers.get(i);
      if (scalar) Dense.forwardScalar(n, l.in(), l.out(), in, 0, wt[i], p, l.weight().offset(), l.bias().offset(), out[i]);
      else DenseVector.forward(n, l.in(), l.out(), in, 0, wt[i], p, l.weight().offset(), l.bias().offset(), out[i]);
      activate(l.act(), out[i], n * l.out());
      in = out[i];
    }
  }

  /**
   * Backward of {@link #forward}'s pass (whose outputs {@code out} still hold) from dOut, the loss's
   * gradient with respect to the network's output [n, out_last]: every weight and bias gradient is
   * added into {@code grad} at the tensor's offset. dOut is overwritten; d[i] (i below the last layer,
   * sized as out[i]) receives the gradient at layer i's output.
   */
  void backward(int n, float[] x, float[] p, float[][] out, float[] dOut, float[][] d, float[] grad) {
    float[] dy = dOut;
    for (int i = wt.length - 1; i >= 0; i--) {
      ParamLayout.Layer l = layers.get(i);
      activateBackward(l.act(), out[i], dy, n * l.out());
      float[] dx = i == 0 ? null : d[i - 1];
      Dense.backward(n, l.in(), l.out(), i == 0 ? x : out[i - 1], 0, dy, p, l.weight().offset(), grad,
          l.weight().offset(), l.bias().offset(), dx);
      dy = dx;
    }
  }

  private static void activate(ParamLayout.Activation act, float[] y, int len) {
    switch (act) {
      case NONE -> {}
      case RELU -> Dense.relu(y, len);
      case SIGMOID -> {
        for (int i = 0; i < len; i++) y[i] = 1f / (1f + (float) Math.exp(-y[i]));
      }
    }
  }

  /** dy := dy * act'(z), written with y = act(z). */
  private static void activateBackward(ParamLayout.Activation act, float[] y, float[] dy, int len) {
    switch (act) {
      case NONE -> {}
      case RELU -> Dense.reluBackward(y, dy, len);
      case SIGMOID -> {
        for (int i = 0; i < len; i++) dy[i] = dy[i] * y[i] * (1f - y[i]);
      }
    }
  }
}
