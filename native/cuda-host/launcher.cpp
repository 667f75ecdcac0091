// The host launcher behind backend cuda-host: runs a registered kernel over a grid the way
// cuLaunchKernel would (see cuda_host.h for the model), and a column-major SGEMM with cuBLAS's
// signature standing in for cublasSgemm. Called from Java through FFM; errors are returned as -1 with
// the text in edgeppo_last_error(), never thrown across the boundary.
#include <pthread.h>

#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cuda_host.h"

namespace cudahost {
thread_local dim3 thread_idx, block_idx, block_dim, grid_dim;
namespace {
thread_local pthread_barrier_t* block_barrier = nullptr;  // null: an ELEMENTWISE launch
thread_local std::string last_error;
std::mutex launch_mutex;

struct Entry {
  Invoker invoke;
  Kind kind;
};
std::map<std::string, Entry>& registry() {
  static std::map<std::string, Entry> r;
  return r;
}

// First error raised by any thread of a launch, kept for the caller.
struct ErrorSlot {
  std::mutex m;
  std::string text;
  void set(const std::string& s) {
    std::lock_guard<std::mutex> g(m);
    if (text.empty()) text = s;
  }
};

void run_block(const Entry& e, void** args, dim3 grid, dim3 block, unsigned b, ErrorSlot& err) {
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, nullptr, block.x);
  std::vector<std::thread> threads;
  threads.reserve(block.x);
  for (unsigned t = 0; t < block.x; t++)
    threads.emplace_back([&, t] {
      thread_idx = dim3{t, 0, 0};
      block_idx = dim3{b, 0, 0};
      block_dim = block;
      grid_dim = grid;
      block_barrier = &barrier;
      try {
        e.invoke(args);
      } catch (const std::exception& ex) {
        err.set(ex.what());
      }
      block_barrier = nullptr;
    });
  for (auto& th : threads) th.join();
  pthread_barrier_destroy(&barrier);
}

void run_elementwise(const Entry& e, void** args, dim3 grid, dim3 block, ErrorSlot& err) {
  unsigned long total = (unsigned long)grid.x * block.x;
  unsigned workers = std::thread::hardware_concurrency();
  if (workers == 0) workers = 1;
  if (workers > total) workers = (unsigned)total;
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < workers; w++)
    threads.emplace_back([&, w] {
      block_dim = block;
      grid_dim = grid;
      try {
        for (unsigned long id = w; id < total; id += workers) {
          thread_idx = dim3{(unsigned)(id % block.x), 0, 0};
          block_idx = dim3{(unsigned)(id / block.x), 0, 0};
          e.invoke(args);
        }
      } catch (const std::exception& ex) {
        err.set(ex.what());
      }
    });
  for (auto& th : threads) th.join();
}
}  // namespace

void syncthreads() {
  if (block_barrier == nullptr)
    throw std::logic_error("__syncthreads in a kernel registered ELEMENTWISE; register it BLOCK");
  pthread_barrier_wait(block_barrier);
}

bool register_kernel(const char* name, Invoker invoke, Kind kind) {
  registry()[name] = Entry{invoke, kind};
  return true;
}
}  // namespace cudahost

using namespace cudahost;

extern "C" {

const char* edgeppo_last_error() { return last_error.c_str(); }

int edgeppo_kernel_count() { return (int)registry().size(); }

const char* edgeppo_kernel_name(int i) {
  if (i < 0 || i >= (int)registry().size()) return nullptr;
  auto it = registry().begin();
  std::advance(it, i);
  return it->first.c_str();
}

// Launches `name` on a 1-D grid, args as cuLaunchKernel's kernelParams. Returns 0, or -1 with the
// reason in edgeppo_last_error().
int edgeppo_launch(const char* name, int grid, int block, int shared_bytes, void** args) {
  auto it = registry().find(name ? name : "");
  std::string who = std::string("kernel ") + (name ? name : "(null)") + ": ";
  if (it == registry().end()) {
    last_error = who + "no such kernel in libedgeppo_cudahost.so";
    return -1;
  }
  if (grid < 1 || block < 1 || block > 1024) {
    last_error = who + "bad launch grid " + std::to_string(grid) + " x block " + std::to_string(block);
    return -1;
  }
  if (shared_bytes != 0) {
    last_error = who + "dynamic shared memory is not emulated (the kernels use static __shared__ only)";
    return -1;
  }
  std::lock_guard<std::mutex> guard(launch_mutex);
  ErrorSlot err;
  dim3 g{(unsigned)grid, 1, 1}, b{(unsigned)block, 1, 1};
  if (it->second.kind == BLOCK)
    for (unsigned blk = 0; blk < g.x && err.text.empty(); blk++) run_block(it->second, args, g, b, blk, err);
  else
    run_elementwise(it->second, args, g, b, err);
  if (!err.text.empty()) {
    last_error = who + err.text;
    return -1;
  }
  return 0;
}

// cublasSgemm's contract on host memory: C = alpha op(A) op(B) + beta C, column-major, op(X) = X or
// X^T; C is not read when beta is 0.
void edgeppo_sgemm(int transa, int transb, int m, int n, int k, float alpha, const float* a, int lda,
                   const float* b, int ldb, float beta, float* c, int ldc) {
  for (int j = 0; j < n; j++)
    for (int i = 0; i < m; i++) {
      float acc = 0.f;
      for (int p = 0; p < k; p++) {
        float av = transa ? a[p + (long)i * lda] : a[i + (long)p * lda];
        float bv = transb ? b[j + (long)p * ldb] : b[p + (long)j * ldb];
        acc += av * bv;
      }
      float prev = beta == 0.f ? 0.f : beta * c[i + (long)j * ldc];
      c[i + (long)j * ldc] = alpha * acc + prev;
    }
}
}
