// Shared by every kernel file: the index-space helper, block reductions, the generated constants and
// structs Java passes by value, and the host-registration hook. Built as part of edgeppo.cu (see the Makefile): nvcc for the
// GPU, g++ with native/cuda-host/cuda_host.h for the host emulation.
#ifndef EDGEPPO_COMMON_CUH
#define EDGEPPO_COMMON_CUH

#ifdef __CUDACC__
// The host emulation needs to know which kernels use __syncthreads; the GPU does not.
#define EDGEPPO_REGISTER(fn, kind)
#endif

// The constants and structs shared with the Java host code (slots, activation codes, limits, struct
// Layout and struct PpoConsts), generated from dev.edgeppo.cuda.KernelAbi: edit them there.
#include "generated/consts.h"

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
