package dev.edgeppo.ppo;

/**
 * Dense layers over row-major minibatches. Loops are written as saxpy over contiguous rows (never as
 * float reductions, which the JIT may not reorder and so cannot vectorise), which is why the forward
 * pass takes the weights transposed ([in, out]).
 */
final class Dense {
  private Dense() {}

  /** out[n,O] = x[n,I] · W^T + b, with wt = W^T laid out [I, O]. */
  static void forward(int n, int in, int out, float[] x, int xOff, float[] wt, float[] p, int bOff, float[] y) {
    for (int i = 0; i < n; i++) {
      int yr = i * out;
      System.arraycopy(p, bOff, y, yr, out);
      int xr = xOff + i * in;
      for (int k = 0; k < in; k++) {
        float xv = x[xr + k];
        int wr = k * out;
        for (int o = 0; o < out; o++) y[yr + o] += xv * wt[wr + o];
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

  /**
   * Backward of y = x W^T + b given dy[n,O]: dW[O,I] += dy^T x, db[O] += Σ dy, and dx[n,I] = dy W
   * when dx is non-null. W is read in its natural [out, in] layout at wOff of p.
   */
  static void backward(int n, int in, int out, float[] x, int xOff, float[] dy, float[] p, int wOff,
                       float[] g, int gwOff, int gbOff, float[] dx) {
    for (int i = 0; i < n; i++) {
      int dr = i * out, xr = xOff + i * in;
      for (int o = 0; o < out; o++) {
        float d = dy[dr + o];
        g[gbOff + o] += d;
        int gr = gwOff + o * in;
        for (int k = 0; k < in; k++) g[gr + k] += d * x[xr + k];
      }
    }
    if (dx == null) return;
    for (int i = 0; i < n; i++) {
      int xr = i * in, dr = i * out;
      java.util.Arrays.fill(dx, xr, xr + in, 0f);
      for (int o = 0; o < out; o++) {
        float d = dy[dr + o];
        int wr = wOff + o * in;
        for (int k = 0; k < in; k++) dx[xr + k] += d * p[wr + k];
      }
    }
  }

  /** dy := dy where the ReLU's output was positive, else 0 (in place). */
  static void reluBackward(float[] y, float[] dy, int len) {
    for (int i = 0; i < len; i++) if (y[i] <= 0f) dy[i] = 0f;
  }
}
