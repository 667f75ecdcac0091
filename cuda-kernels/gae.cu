// Generalised advantage estimation, returns, explained variance and advantage normalisation
// (docs/ppo-update.md steps 2, 3 and 11), for the whole batch of T rows in one block.
// Built through edgeppo.cu: nvcc -fatbin for the GPU, g++ -include cuda_host.h for the host.
#ifndef EDGEPPO_GAE_CU
#define EDGEPPO_GAE_CU
#include "common.cuh"

// scratch holds 2 * blockDim.x doubles. The recursion runs backwards in time, so one thread does it;
// at T <= a few thousand that is a few microseconds and saves a scan's launches.
__device__ inline void gae_block(int t, const float* rewards, const float* values, const float* v_next,
                                 const float* dones, const PpoConsts& c, float* adv, float* ret, float* metrics,
                                 double* scratch) {
  if (threadIdx.x == 0) {
    float next = 0.f;
    for (int i = t - 1; i >= 0; i--) {
      float not_done = 1.f - dones[i];
      float delta = rewards[i] + c.gamma * v_next[i] * not_done - values[i];
      next = delta + c.gamma_lambda * not_done * next;
      adv[i] = next;
      ret[i] = next + values[i];
    }
  }
  __syncthreads();

  // explained variance: 1 - Var(R - V) / Var(R), population variances, in double as the reference.
  double part[2] = {0.0, 0.0};
  for (int i = threadIdx.x; i < t; i += blockDim.x) {
    part[0] += ret[i];
    part[1] += (double)ret[i] - values[i];
  }
  block_sum(scratch, part, 2);
  double mr = scratch[0] / t, md = scratch[blockDim.x] / t;
  part[0] = part[1] = 0.0;
  for (int i = threadIdx.x; i < t; i += blockDim.x) {
    double a = ret[i] - mr, b = (double)ret[i] - values[i] - md;
    part[0] += a * a;
    part[1] += b * b;
  }
  block_sum(scratch, part, 2);
  if (threadIdx.x == 0) {
    double vr = scratch[0], vd = scratch[blockDim.x];
    metrics[M_EXPLAINED_VAR] = vr == 0.0 ? 0.f : (float)(1.0 - vd / vr);
  }
  if (!c.normalize || t < 2) return;

  // (A - mean) / (std + 1e-8), std with Bessel's correction.
  float s = 0.f;
  for (int i = threadIdx.x; i < t; i += blockDim.x) s += adv[i];
  float* fscratch = (float*)scratch;
  block_sum(fscratch, &s, 1);
  float mean = fscratch[0] / t;
  s = 0.f;
  for (int i = threadIdx.x; i < t; i += blockDim.x) {
    float d = adv[i] - mean;
    s += d * d;
  }
  block_sum(fscratch, &s, 1);
  float denom = sqrtf(fscratch[0] / (t - 1)) + 1e-8f;
  __syncthreads();
  for (int i = threadIdx.x; i < t; i += blockDim.x) adv[i] = (adv[i] - mean) / denom;
  __syncthreads();
}

// One block of a power-of-two size <= EDGEPPO_MAX_THREADS.
extern "C" __global__ void gae(int t, const float* rewards, const float* values, const float* v_next,
                               const float* dones, PpoConsts c, float* adv, float* ret, float* metrics) {
  __shared__ double scratch[2 * EDGEPPO_MAX_THREADS];
  gae_block(t, rewards, values, v_next, dones, c, adv, ret, metrics, scratch);
}
EDGEPPO_REGISTER(gae, BLOCK)

#endif
