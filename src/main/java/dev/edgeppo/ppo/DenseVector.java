package dev.edgeppo.ppo;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Dense}'s layers on the Vector API (incubator module jdk.incubator.vector), for training and for
 * serving when the module is there. The JIT does not auto-vectorise these loops (the arrays might alias at
 * unknown offsets), so they use the Vector API; four independent accumulators per loop hide the FMA latency,
 * and a scalar tail covers widths that are not a multiple of the vector. Measured: about 9x faster than the
 * scalar loops for a whole update at H=64 and batches of 32 to 2048 rows (docs/performance.md, "CPU backend speed").
 * Only {@link Dense} and {@link Adam} touch this class, so a JVM without the module never loads it.
 */
final class DenseVector {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();

  private DenseVector() {}

  /**
   * y[n,O] = x[n,I] · W^T + b. Wide layers read wt = W^T laid out [I, O]; layers narrower than a
   * vector read W itself ([O, I] at wOff of p) and need no transposed copy.
   */
  static void forward(int n, int in, int out, float[] x, int xOff, float[] wt, float[] p, int wOff, int bOff, float[] y) {
    if (out < L) {
      forwardNarrow(n, in, out, x, xOff, p, wOff, bOff, y);
      return;
    }
    int o4 = out - out % (4 * L), ob = S.loopBound(out);
    for (int i = 0; i < n; i++) {
      int yr = i * out, xr = xOff + i * in;
      int o = 0;
      for (; o < o4; o += 4 * L) {
        FloatVector a0 = FloatVector.fromArray(S, p, bOff + o), a1 = FloatVector.fromArray(S, p, bOff + o + L);
        FloatVector a2 = FloatVector.fromArray(S, p, bOff + o + 2 * L), a3 = FloatVector.fromArray(S, p, bOff + o + 3 * L);
        for (int k = 0; k < in; k++) {
          FloatVector xv = FloatVector.broadcast(S, x[xr + k]);
          int w = k * out + o;
          a0 = FloatVector.fromArray(S, wt, w).fma(xv, a0);
          a1 = FloatVector.fromArray(S, wt, w + L).fma(xv, a1);
          a2 = FloatVector.fromArray(S, wt, w + 2 * L).fma(xv, a2);
          a3 = FloatVector.fromArray(S, wt, w + 3 * L).fma(xv, a3);
        }
        a0.intoArray(y, yr + o); a1.intoArray(y, yr + o + L); a2.intoArray(y, yr + o + 2 * L); a3.intoArray(y, yr + o + 3 * L);
      }
      for (; o < ob; o += L) {
        FloatVector acc = FloatVector.fromArray(S, p, bOff + o);
        for (int k = 0; k < in; k++)
          acc = FloatVector.fromArray(S, wt, k * out + o).fma(FloatVector.broadcast(S, x[xr + k]), acc);
        acc.intoArray(y, yr + o);
      }
      for (; o < out; o++) {
        float acc = p[bOff + o];
        for (int k = 0; k < in; k++) acc += x[xr + k] * wt[k * out + o];
        y[yr + o] = acc;
      }
    }
  }

  /** Outputs narrower than a vector (the heads: 2 means, 1 value): dot products along W's rows. */
  private static void forwardNarrow(int n, int in, int out, float[] x, int xOff, float[] p, int wOff, int bOff, float[] y) {
    int kb = S.loopBound(in);
    for (int i = 0; i < n; i++) {
      int xr = xOff + i * in;
      for (int o = 0; o < out; o++) {
        int wr = wOff + o * in, k = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; k < kb; k += L) acc = FloatVector.fromArray(S, x, xr + k).fma(FloatVector.fromArray(S, p, wr + k), acc);
        float s = p[bOff + o] + sumLanes(acc);
        for (; k < in; k++) s += x[xr + k] * p[wr + k];
        y[i * out + o] = s;
      }
    }
  }

  /**
   * Backward of y = x W^T + b given dy[n,O]: dW[O,I] += dy^T x, db[O] += Σ dy, and dx[n,I] = dy W
   * when dx is non-null. W is read in its natural [out, in] layout at wOff of p.
   */
  static void backward(int n, int in, int out, float[] x, int xOff, float[] dy, float[] p, int wOff,
                       float[] g, int gwOff, int gbOff, float[] dx) {
    // db: column sums of dy, as contiguous row additions.
    int ob = S.loopBound(out);
    for (int i = 0; i < n; i++) {
      int dr = i * out, o = 0;
      for (; o < ob; o += L)
        FloatVector.fromArray(S, dy, dr + o).add(FloatVector.fromArray(S, g, gbOff + o)).intoArray(g, gbOff + o);
      for (; o < out; o++) g[gbOff + o] += dy[dr + o];
    }
    if (in < L && out >= L) weightGradNarrowInput(n, in, out, x, xOff, dy, g, gwOff);
    else weightGradRows(n, in, out, x, xOff, dy, g, gwOff);
    if (dx != null) inputGrad(n, in, out, dy, p, wOff, dx);
  }

  /** dW[o, :] += Σ_i dy[i, o] x[i, :], along W's rows. */
  private static void weightGradRows(int n, int in, int out, float[] x, int xOff, float[] dy, float[] g, int gwOff) {
    int k4 = in - in % (4 * L), kb = S.loopBound(in);
    for (int o = 0; o < out; o++) {
      int gr = gwOff + o * in, k = 0;
      for (; k < k4; k += 4 * L) {
        FloatVector a0 = FloatVector.fromArray(S, g, gr + k), a1 = FloatVector.fromArray(S, g, gr + k + L);
        FloatVector a2 = FloatVector.fromArray(S, g, gr + k + 2 * L), a3 = FloatVector.fromArray(S, g, gr + k + 3 * L);
        for (int i = 0; i < n; i++) {
          FloatVector d = FloatVector.broadcast(S, dy[i * out + o]);
          int xr = xOff + i * in + k;
          a0 = FloatVector.fromArray(S, x, xr).fma(d, a0);
          a1 = FloatVector.fromArray(S, x, xr + L).fma(d, a1);
          a2 = FloatVector.fromArray(S, x, xr + 2 * L).fma(d, a2);
          a3 = FloatVector.fromArray(S, x, xr + 3 * L).fma(d, a3);
        }
        a0.intoArray(g, gr + k); a1.intoArray(g, gr + k + L); a2.intoArray(g, gr + k + 2 * L); a3.intoArray(g, gr + k + 3 * L);
      }
      for (; k < kb; k += L) {
        FloatVector acc = FloatVector.fromArray(S, g, gr + k);
        for (int i = 0; i < n; i++)
          acc = FloatVector.fromArray(S, x, xOff + i * in + k).fma(FloatVector.broadcast(S, dy[i * out + o]), acc);
        acc.intoArray(g, gr + k);
      }
      for (; k < in; k++) {
        float acc = g[gr + k];
        for (int i = 0; i < n; i++) acc += dy[i * out + o] * x[xOff + i * in + k];
        g[gr + k] = acc;
      }
    }
  }

  /**
   * dW for inputs narrower than a vector (the first layers, 5 inputs): accumulate dW^T [I, O] along contiguous
   * rows of dy, then add each lane into W's [O, I] layout at stride I. The adds are scalar: a scatter
   * (intoArray with an index map) has no instruction before AVX-512, and its fallback allocated a float[] per
   * vector operation, about 5 MB of garbage per update at H 64 (half of all the agent allocated while serving
   * /allocate at 5,000/s, docs/performance.md "Latency of /allocate"). Each element still gets g + acc in float, as before.
   */
  private static void weightGradNarrowInput(int n, int in, int out, float[] x, int xOff, float[] dy, float[] g, int gwOff) {
    int ob = S.loopBound(out);
    float[] lanes = new float[L];
    for (int k = 0; k < in; k++) {
      int o = 0;
      for (; o < ob; o += L) {
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < n; i++)
          acc = FloatVector.fromArray(S, dy, i * out + o).fma(FloatVector.broadcast(S, x[xOff + i * in + k]), acc);
        acc.intoArray(lanes, 0);
        int base = gwOff + o * in + k;
        for (int j = 0; j < L; j++) g[base + j * in] += lanes[j];
      }
      for (; o < out; o++) {
        float acc = 0f;
        for (int i = 0; i < n; i++) acc += dy[i * out + o] * x[xOff + i * in + k];
        g[gwOff + o * in + k] += acc;
      }
    }
  }

  /** dx[i, :] = Σ_o dy[i, o] W[o, :] */
  private static void inputGrad(int n, int in, int out, float[] dy, float[] p, int wOff, float[] dx) {
    int k4 = in - in % (4 * L), kb = S.loopBound(in);
    for (int i = 0; i < n; i++) {
      int xr = i * in, dr = i * out, k = 0;
      for (; k < k4; k += 4 * L) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int o = 0; o < out; o++) {
          FloatVector d = FloatVector.broadcast(S, dy[dr + o]);
          int w = wOff + o * in + k;
          a0 = FloatVector.fromArray(S, p, w).fma(d, a0);
          a1 = FloatVector.fromArray(S, p, w + L).fma(d, a1);
          a2 = FloatVector.fromArray(S, p, w + 2 * L).fma(d, a2);
          a3 = FloatVector.fromArray(S, p, w + 3 * L).fma(d, a3);
        }
        a0.intoArray(dx, xr + k); a1.intoArray(dx, xr + k + L); a2.intoArray(dx, xr + k + 2 * L); a3.intoArray(dx, xr + k + 3 * L);
      }
      for (; k < kb; k += L) {
        FloatVector acc = FloatVector.zero(S);
        for (int o = 0; o < out; o++)
          acc = FloatVector.fromArray(S, p, wOff + o * in + k).fma(FloatVector.broadcast(S, dy[dr + o]), acc);
        acc.intoArray(dx, xr + k);
      }
      for (; k < in; k++) {
        float acc = 0f;
        for (int o = 0; o < out; o++) acc += dy[dr + o] * p[wOff + o * in + k];
        dx[xr + k] = acc;
      }
    }
  }

  /** Σ v² in float lanes (torch's norm also accumulates in float32), returned as double. */
  static double sumOfSquares(float[] v) {
    int b = S.loopBound(v.length), i = 0;
    FloatVector acc = FloatVector.zero(S);
    for (; i < b; i += L) {
      FloatVector x = FloatVector.fromArray(S, v, i);
      acc = x.fma(x, acc);
    }
    double s = sumLanes(acc);
    for (; i < v.length; i++) s += (double) v[i] * v[i];
    return s;
  }

  /**
   * Lanes added first to last. reduceLanes(ADD) is not used: its order is unspecified, and the
   * compiled intrinsic and the interpreter's fallback round differently, so the same update gave
   * different parameters before and after the JIT compiled it.
   */
  static float sumLanes(FloatVector v) {
    float s = 0f;
    for (int j = 0; j < L; j++) s += v.lane(j);
    return s;
  }
}
