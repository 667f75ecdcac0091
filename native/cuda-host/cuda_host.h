// Host emulation of the CUDA C++ that cuda-kernels/ uses, so the very same .cu files compile with g++
// (g++ -x c++ -include cuda_host.h cuda-kernels/edgeppo.cu) and run on the CPU: the backend cuda-host
// drives them through the same orchestration as the GPU, and ThreadSanitizer can watch them.
//
// Model: launcher.cpp runs the blocks of a grid one after another. The threads of a block run
// concurrently as real OS threads, and __syncthreads is a real barrier across them. Because only one
// block exists at a time, __shared__ can be a function-local static: shared by the block's threads,
// reused by the next block (CUDA leaves shared memory undefined at block start anyway). Launches are
// serialised for the same reason. Kernels registered ELEMENTWISE promise not to use __syncthreads or
// shared memory; the launcher runs them on a few worker threads and fails the launch if one does.
#ifndef EDGEPPO_CUDA_HOST_H
#define EDGEPPO_CUDA_HOST_H

#include <math.h>

#include <atomic>
#include <cstddef>
#include <type_traits>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
};

namespace cudahost {
extern thread_local dim3 thread_idx, block_idx, block_dim, grid_dim;
void syncthreads();

enum Kind { ELEMENTWISE, BLOCK };
using Invoker = void (*)(void** args);
bool register_kernel(const char* name, Invoker invoke, Kind kind);

// Calls a kernel with arguments given as cuLaunchKernel's kernelParams give them: args[i] points at
// the value of parameter i. The parameter types come from the kernel's own signature.
template <typename F, F f>
struct Adapter;
template <typename... A, void (*f)(A...)>
struct Adapter<void (*)(A...), f> {
  static void call(void** args) { call(args, std::index_sequence_for<A...>{}); }
  template <std::size_t... I>
  static void call(void** args, std::index_sequence<I...>) {
    f(*static_cast<std::remove_cv_t<std::remove_reference_t<A>>*>(args[I])...);
  }
};
}  // namespace cudahost

#define threadIdx (cudahost::thread_idx)
#define blockIdx (cudahost::block_idx)
#define blockDim (cudahost::block_dim)
#define gridDim (cudahost::grid_dim)
#define __syncthreads() cudahost::syncthreads()

// CUDA's atomics on the host: sequentially consistent read-modify-writes on plain memory.
inline float atomicAdd(float* p, float v) { return std::atomic_ref<float>(*p).fetch_add(v); }
inline int atomicAdd(int* p, int v) { return std::atomic_ref<int>(*p).fetch_add(v); }

#define EDGEPPO_REGISTER(fn, kind)                           \
  static const bool edgeppo_registered_##fn [[maybe_unused]] = \
      cudahost::register_kernel(#fn, &cudahost::Adapter<decltype(&fn), &fn>::call, cudahost::kind);

#endif
