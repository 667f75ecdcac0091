package dev.edgeppo.ppo;

/**
 * Dense layers over row-major minibatches: the one entry point {@link Mlp} and {@link CpuBackend} call. The
 * forward pass has two implementations:
 * <ul>
 *   <li>{@link DenseVector}, on the Vector API, whenever the JVM has the incubator module jdk.incubator.vector:
 *       training always (it refuses to start without it), and serving when the launcher added the module;</li>
 *   <li>a scalar one here, when the module is absent: {@code serve --mode infer} starts without it, so that the
 *       JVM prints no "Using incubator modules" warning. A forward pass of one request costs a few µs either way
 *       at H 64 (docs/performance.md "CPU backend speed" has the figures), against ~100 µs of CPU per
 *       /allocate in all.</li>
 * </ul>
 * Both read the same layouts: wide layers (at least {@link #L} outputs) a transposed copy W^T [in, out], narrow
 * ones W itself [out, in]. The scalar path accumulates each output from its bias with fused multiply-adds in the
 * vector path's order for wide layers, so the two agree to float rounding (DenseScalarTest, on the parity cases).
 * Backward passes and the gradient norm exist on the Vector API only: nothing trains without the module.
 */
final class Dense {
  /** True when the Vector API is used; {@code -Dedgeppo.dense.scalar=true} forces the scalar path (for measuring it). */
  static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
      && !Boolean.getBoolean("edgeppo.dense.scalar");
  /** Layers with at least this many outputs read W^T; the vector's width on the Vector API (its narrow path needs it). */
  static final int L = VECTOR ? DenseVector.L : 8;

  private Dense() {}

  /** The path in use, for logs and benchmarks. */
  static String path() { return VECTOR ? "vector (" + DenseVector.S + ")" : "scalar"; }

  /**
   * y[n,O] = x[n,I] · W^T + b. Wide layers read wt = W^T laid out [I, O]; layers narrower than {@link #L} read
   * W itself ([O, I] at wOff of p), and pass wt null.
   */
  static void forward(int n, int in, int out, float[] x, int xOff, float[] wt, float[] p, int wOff, int bOff, float[] y) {
    if (VECTOR) DenseVector.forward(n, in, out, x, xOff, wt, p, wOff, bOff, y);
    else forwardScalar(n, in, out, x, xOff, wt, p, wOff, bOff, y);
  }

  /** {@link #forward} without the Vector API: the layout is told by wt (null: narrow, read W). */
  static void forwardScalar(int n, int in, int out, float[] x, int xOff, float[] wt, float[] p, int wOff, int bOff, float[] y) {
    for (int i = 0; i < n; i++) {
      int yr = i * out, xr = xOff + i * in;
      if (wt == null) {
        for (int o = 0; o < out; o++) {
          int wr = wOff + o * in;
          float acc = 0f;
          for (int k = 0; k < in; k++) acc = Math.fma(x[xr + k], p[wr + k], acc);
          y[yr + o] = p[bOff + o] + acc;
        }
      } else {
        System.arraycopy(p, bOff, y, yr, out);
        for (int k = 0; k < in; k++) {
          float xk = x[xr + k];
          int w = k * out;
          for (int o = 0; o < out; o++) y[yr + o] = Math.fma(wt[w + o], xk, y[yr + o]);
        }
      }
    }
  }

  /** Copies W ([out, in] at wOff of p) transposed into wt ([in, out]). */
  static void transpose(float[] p, int wOff, int out, int in, float[] wt) {
    for (int o = 0; o < out; o++) {
      int r = wOff + o * in;
      for (int k = 0; k < in; k++) wt[k * out + o] = p[r + k];
    }
  }

  static void relu(float[] y, int len) {
    for (int i = 0; i < len; i++) if (y[i] < 0f) y[i] = 0f;
  }

  /** dy := dy where the ReLU's output was positive, else 0 (in place). */
  static void reluBackward(float[] y, float[] dy, int len) {
    for (int i = 0; i < len; i++) if (y[i] <= 0f) dy[i] = 0f;
  }

  /**
   * Backward of y = x W^T + b given dy[n,O]: dW[O,I] += dy^T x, db[O] += Σ dy, and dx[n,I] = dy W when dx is
   * non-null. On the Vector API ({@link DenseVector#backward}).
   */
  static void backward(int n, int in, int out, float[] x, int xOff, float[] dy, float[] p, int wOff,
                       float[] g, int gwOff, int gbOff, float[] dx) {
    DenseVector.backward(n, in, out, x, xOff, dy, p, wOff, g, gwOff, gbOff, dx);
  }

  /** Σ v² in float lanes (torch's norm also accumulates in float32), returned as double. On the Vector API. */
  static double sumOfSquares(float[] v) { return DenseVector.sumOfSquares(v); }
}
