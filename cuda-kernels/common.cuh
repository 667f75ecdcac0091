// Shared by every kernel file: the index-space helper, block reductions, the structs Java passes by
// value, and the host-registration hook. Built as part of edgeppo.cu (see the Makefile): nvcc for the
// GPU, g++ with native/cuda-host/cuda_host.h for the host emulation.
#ifndef EDGEPPO_COMMON_CUH
#define EDGEPPO_COMMON_CUH

#ifdef __CUDACC__
// The host emulation needs to know which kernels use __syncthreads; the GPU does not.
#define EDGEPPO_REGISTER(fn, kind)
#endif

// Every block-cooperative kernel is launched with at most this many threads (a power of two): the
// reduction scratch in shared memory is sized for it.
#define EDGEPPO_MAX_THREADS 256

// Activation applied after a linear layer.
#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_SIGMOID 2

#define ACTION_DIM 2
#define STATE_DIM 5

// Where each tensor starts in the flat parameter (and gradient, and Adam-moment) array: the offsets
// come from dev.edgeppo.ppo.ParamLayout, so the kernels hold no layout knowledge of their own.
struct Layout {
  int h;
  int a0w, a0b, a2w, a2b, a4w, a4b, log_std;
  int c0w, c0b, c2w, c2b, c4w, c4b;
  int size;
};

// One update's constants, computed on the host in double and rounded once (as torch does with
// Python scalars). Field order is mirrored by dev.edgeppo.cuda.KernelArgs.ppoConsts.
struct PpoConsts {
  float gamma, gamma_lambda;
  float clip_eps, clip_lo, clip_hi;
  float value_coef, entropy_coef;
  float max_grad_norm, lr, adam_eps;
  float log_std_min, log_std_max;
  int epochs, minibatch, normalize, t;
  int adam_step;  // Adam's step count before this update (its low 31 bits; see adam.cu)
};

// Per-step scalars written by one phase and read by the next (same indices on host and device).
#define SC_LOSS 0        // this step's loss (finiteness guard)
#define SC_APPLY 1       // 1 when the step goes ahead, 0 when the guard skips it
#define SC_COEF 2        // gradient scale from clipping (1 when not clipping)
#define SC_STEP_SIZE 3   // lr / (1 - beta1^t)
#define SC_BC2_SQRT 4    // sqrt(1 - beta2^t)
#define SC_APPLIED 5     // steps applied so far in this update
#define SC_COUNT 8

// Metrics accumulated over an update's steps and copied back once (UpdateMetrics).
#define M_POLICY 0
#define M_VALUE 1
#define M_ENTROPY 2
#define M_KL 3
#define M_CLIP 4
#define M_GRAD_NORM 5
#define M_STEPS 6
#define M_SKIPPED 7
#define M_EXPLAINED_VAR 8
#define M_ERROR 15  // set by a kernel asked for shapes it cannot handle
#define M_COUNT 16

// A strided walk over an index space. The same device function runs over a whole grid (layered
// kernels) or over one block (the fused kernel), so the arithmetic exists once.
struct Lanes {
  int first, stride;
};
__device__ inline Lanes grid_lanes() {
  Lanes l = {(int)(blockIdx.x * blockDim.x + threadIdx.x), (int)(gridDim.x * blockDim.x)};
  return l;
}
__device__ inline Lanes block_lanes() {
  Lanes l = {(int)threadIdx.x, (int)blockDim.x};
  return l;
}

// Sums k values per thread across the block: thread i passes v[0..k), and afterwards every thread
// reads the totals from scratch[j * blockDim.x]. scratch holds k * blockDim.x elements. Starts with a
// barrier so that a previous reduction's readers are done before the scratch is overwritten.
template <typename T>
__device__ inline void block_sum(T* scratch, const T* v, int k) {
  int n = blockDim.x, tid = threadIdx.x;
  __syncthreads();
  for (int j = 0; j < k; j++) scratch[j * n + tid] = v[j];
  __syncthreads();
  for (int s = n / 2; s > 0; s /= 2) {
    if (tid < s)
      for (int j = 0; j < k; j++) scratch[j * n + tid] += scratch[j * n + tid + s];
    __syncthreads();
  }
}

#endif
