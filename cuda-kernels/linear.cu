// Linear layers y = act(x W^T + b) over row-major minibatches, forward and backward, with ReLU and
// Sigmoid. Shapes: x [n, in], W [out, in] (PyTorch's layout), b [out], y [n, out].
// Built through edgeppo.cu: nvcc -fatbin for the GPU, g++ -include cuda_host.h for the host.
#ifndef EDGEPPO_LINEAR_CU
#define EDGEPPO_LINEAR_CU
#include "common.cuh"

__device__ inline float activate(float z, int act) {
  if (act == ACT_RELU) return z > 0.f ? z : 0.f;
  if (act == ACT_SIGMOID) return 1.f / (1.f + expf(-z));
  return z;
}

// ---- forward: y [n, out] = act(x [n, in] W^T + b)
// A lane computes one output column o for LINEAR_ROWS consecutive rows, so each weight it loads is used
// LINEAR_ROWS times from a register. Lanes next to each other take neighbouring columns of the same rows:
// their x reads are one broadcast; their W rows are `in` floats apart, a strided load that the register
// reuse makes rare. (One lane per output read W once per output: at T = 32, H = 64 that strided traffic
// was most of the fused update's time.) Each output still sums bias first, then i = 0..in-1 in order.
// LINEAR_ROWS is in generated/consts.h: the host sizes linear_forward's grid by it.
__device__ inline void linear_fwd(Lanes l, const float* x, const float* w, const float* b, float* y,
                                  int n, int in, int out, int act) {
  int groups = (n + LINEAR_ROWS - 1) / LINEAR_ROWS;
  for (int e = l.first; e < groups * out; e += l.stride) {
    int r0 = (e / out) * LINEAR_ROWS, o = e % out;
    int rows = n - r0 < LINEAR_ROWS ? n - r0 : LINEAR_ROWS;
    const float* wr = w + o * in;
    float acc[LINEAR_ROWS];
    for (int k = 0; k < LINEAR_ROWS; k++) acc[k] = b[o];  // bias first, as the CPU reference sums
    for (int i = 0; i < in; i++) {
      float wi = wr[i];
      for (int k = 0; k < LINEAR_ROWS; k++)
        if (k < rows) acc[k] += x[(r0 + k) * in + i] * wi;
    }
    for (int k = 0; k < rows; k++) y[(r0 + k) * out + o] = activate(acc[k], act);
  }
}

// ---- backward to the input: dx [n, in] = (dy [n, out] W) * act'(x), where x = act(z) is the layer's input
// as the layer before produced it with activation `act` (ACT_NONE: x unread, may be null). The derivative
// is taken from x itself: ReLU passes where x > 0, Sigmoid multiplies by x (1 - x). dx may alias x: each
// element reads only its own entry of x before writing it.
__device__ inline void linear_bwd_input(Lanes l, const float* dy, const float* w, const float* x, int act,
                                        float* dx, int n, int in, int out) {
  for (int e = l.first; e < n * in; e += l.stride) {
    int r = e / in, i = e % in;
    if (act == ACT_RELU && x[e] <= 0.f) {
      dx[e] = 0.f;
      continue;
    }
    const float* dr = dy + r * out;
    float acc = 0.f;
    for (int o = 0; o < out; o++) acc += dr[o] * w[o * in + i];
    dx[e] = act == ACT_SIGMOID ? acc * x[e] * (1.f - x[e]) : acc;
  }
}

// ---- backward to the parameters: dW [out, in] = dy^T x and db [out] = sum over rows of dy.
// One lane per weight (index o * (in + 1) + i, with i == in meaning the bias); written, not accumulated:
// every parameter belongs to exactly one layer.
__device__ inline void linear_bwd_params(Lanes l, const float* dy, const float* x, float* dw, float* db,
                                         int n, int in, int out) {
  for (int e = l.first; e < out * (in + 1); e += l.stride) {
    int o = e / (in + 1), i = e % (in + 1);
    float acc = 0.f;
    if (i == in)
      for (int r = 0; r < n; r++) acc += dy[r * out + o];
    else
      for (int r = 0; r < n; r++) acc += dy[r * out + o] * x[r * in + i];
    if (i == in)
      db[o] = acc;
    else
      dw[o * in + i] = acc;
  }
}

extern "C" __global__ void linear_forward(const float* x, const float* w, const float* b, float* y, int n,
                                          int in, int out, int act) {
  linear_fwd(grid_lanes(), x, w, b, y, n, in, out, act);
}
EDGEPPO_REGISTER(linear_forward, ELEMENTWISE)

// The layered path's input gradient: masked by relu_out (the ReLU output x itself), or unmasked when null.
extern "C" __global__ void linear_backward_input(const float* dy, const float* w, const float* relu_out,
                                                 float* dx, int n, int in, int out) {
  linear_bwd_input(grid_lanes(), dy, w, relu_out, relu_out ? ACT_RELU : ACT_NONE, dx, n, in, out);
}
EDGEPPO_REGISTER(linear_backward_input, ELEMENTWISE)

extern "C" __global__ void linear_backward_params(const float* dy, const float* x, float* dw, float* db, int n,
                                                  int in, int out) {
  linear_bwd_params(grid_lanes(), dy, x, dw, db, n, in, out);
}
EDGEPPO_REGISTER(linear_backward_params, ELEMENTWISE)

// ---- the cuBLAS path for large batches: the GEMM does x W^T (or dy W, dy^T x) and these finish the job.
// y [n, out] := act(y + b) after y = x W^T.
extern "C" __global__ void bias_activation(float* y, const float* b, int n, int out, int act) {
  Lanes l = grid_lanes();
  for (int e = l.first; e < n * out; e += l.stride) y[e] = activate(y[e] + b[e % out], act);
}
EDGEPPO_REGISTER(bias_activation, ELEMENTWISE)

// dx [n, in] := (relu_out > 0) ? prod : 0 after prod = dy W; dx may alias relu_out.
extern "C" __global__ void relu_mask(const float* prod, const float* relu_out, float* dx, int count) {
  Lanes l = grid_lanes();
  for (int e = l.first; e < count; e += l.stride) dx[e] = relu_out[e] > 0.f ? prod[e] : 0.f;
}
EDGEPPO_REGISTER(relu_mask, ELEMENTWISE)

// db [out] = column sums of dy [n, out].
extern "C" __global__ void bias_grad(const float* dy, float* db, int n, int out) {
  Lanes l = grid_lanes();
  for (int o = l.first; o < out; o += l.stride) {
    float acc = 0.f;
    for (int r = 0; r < n; r++) acc += dy[r * out + o];
    db[o] = acc;
  }
}
EDGEPPO_REGISTER(bias_grad, ELEMENTWISE)

#endif
