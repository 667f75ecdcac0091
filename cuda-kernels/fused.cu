// The whole PPO update of SPEC §2 in one launch of one block, for the online batch (minibatches of at
// most FUSED_MAX_ROWS rows, H <= FUSED_MAX_H): bootstrap values, GAE, then every epoch's minibatch steps
// (forward of both networks, loss, backward, clipping, Adam), with the activations in shared memory.
// At T = 32, H = 64 the arithmetic is ~1 MFLOP per step: launches, not arithmetic, are the cost, so one
// launch replaces the layered path's ~80. Weights, gradients and Adam moments (37 KB each at H = 64)
// stay in global memory, read through L1; shared memory holds what is re-read most: 40 KB of static
// arrays at FUSED_MAX_ROWS 32 and FUSED_MAX_H 64 (four activation buffers of 8 KB, 6 KB of reduction
// scratch, 2 KB of minibatch rows), under the 48 KB a block may declare statically.
// It calls the very device functions the layered kernels wrap, so both paths compute the same numbers.
// Built through edgeppo.cu: nvcc -fatbin for the GPU, g++ -include cuda_host.h for the host.
#ifndef EDGEPPO_FUSED_CU
#define EDGEPPO_FUSED_CU
#include "common.cuh"
#include "linear.cu"
#include "loss.cu"
#include "gae.cu"
#include "adam.cu"

// Launch with one block of a power-of-two size <= EDGEPPO_MAX_THREADS. order holds epochs * t row
// indices (one permutation per epoch). grad, v_next, adv, ret are global work buffers.
extern "C" __global__ void ppo_update_fused(Layout L, PpoConsts c, float* params, float* exp_avg,
                                            float* exp_avg_sq, float* metrics, float* scalars, float* stats,
                                            const float* states, const float* actions, const float* logp_old,
                                            const float* values, const float* rewards, const float* next_states,
                                            const float* dones, const int* order, float* grad, float* v_next,
                                            float* adv, float* ret) {
  __shared__ float ah1[FUSED_MAX_ROWS * FUSED_MAX_H], ah2[FUSED_MAX_ROWS * FUSED_MAX_H];
  __shared__ float ch1[FUSED_MAX_ROWS * FUSED_MAX_H], ch2[FUSED_MAX_ROWS * FUSED_MAX_H];
  __shared__ float mean[FUSED_MAX_ROWS * ACTION_DIM], d_mean[FUSED_MAX_ROWS * ACTION_DIM];
  __shared__ float value[FUSED_MAX_ROWS], d_value[FUSED_MAX_ROWS];
  __shared__ float mb_states[FUSED_MAX_ROWS * STATE_DIM], mb_actions[FUSED_MAX_ROWS * ACTION_DIM];
  __shared__ float mb_logp[FUSED_MAX_ROWS], mb_adv[FUSED_MAX_ROWS], mb_ret[FUSED_MAX_ROWS];
  __shared__ double scratch[3 * EDGEPPO_MAX_THREADS];  // 6 floats or 2 doubles per thread
  const int h = L.h, t = c.t, mb = c.minibatch;
  if (h > FUSED_MAX_H || mb > FUSED_MAX_ROWS || mb < 1) {
    if (threadIdx.x == 0) metrics[M_ERROR] = 1.f;
    return;
  }
  const Lanes l = block_lanes();
  const float* P = params;

  // 1. bootstrap values, FUSED_MAX_ROWS rows at a time through the critic's activation buffers
  for (int start = 0; start < t; start += FUSED_MAX_ROWS) {
    int n = t - start < FUSED_MAX_ROWS ? t - start : FUSED_MAX_ROWS;
    linear_fwd(l, next_states + start * STATE_DIM, P + L.c0w, P + L.c0b, ch1, n, STATE_DIM, h, ACT_RELU);
    __syncthreads();
    linear_fwd(l, ch1, P + L.c2w, P + L.c2b, ch2, n, h, h, ACT_RELU);
    __syncthreads();
    linear_fwd(l, ch2, P + L.c4w, P + L.c4b, v_next + start, n, h, 1, ACT_NONE);
    __syncthreads();
  }
  // 2-3. GAE, returns, explained variance, normalisation
  gae_block(t, rewards, values, v_next, dones, c, adv, ret, metrics, scratch);

  for (int epoch = 0; epoch < c.epochs; epoch++) {
    for (int start = 0; start < t; start += mb) {
      int n = t - start < mb ? t - start : mb;
      gather_rows(l, order + epoch * t, start, n, states, actions, logp_old, adv, ret, mb_states, mb_actions,
                  mb_logp, mb_adv, mb_ret);
      __syncthreads();
      // forward, actor and critic side by side (independent, so one barrier per layer)
      linear_fwd(l, mb_states, P + L.a0w, P + L.a0b, ah1, n, STATE_DIM, h, ACT_RELU);
      linear_fwd(l, mb_states, P + L.c0w, P + L.c0b, ch1, n, STATE_DIM, h, ACT_RELU);
      __syncthreads();
      linear_fwd(l, ah1, P + L.a2w, P + L.a2b, ah2, n, h, h, ACT_RELU);
      linear_fwd(l, ch1, P + L.c2w, P + L.c2b, ch2, n, h, h, ACT_RELU);
      __syncthreads();
      linear_fwd(l, ah2, P + L.a4w, P + L.a4b, mean, n, h, ACTION_DIM, ACT_SIGMOID);
      linear_fwd(l, ch2, P + L.c4w, P + L.c4b, value, n, h, 1, ACT_NONE);
      __syncthreads();
      ppo_loss_block(n, mean, P + L.log_std, mb_actions, mb_logp, mb_adv, mb_ret, value, c, d_mean, d_value,
                     grad + L.log_std, scalars, stats, (float*)scratch);
      __syncthreads();
      // backward; each layer's input gradient overwrites its input activation once the weight
      // gradient that reads it is done
      linear_bwd_params(l, d_mean, ah2, grad + L.a4w, grad + L.a4b, n, h, ACTION_DIM);
      linear_bwd_params(l, d_value, ch2, grad + L.c4w, grad + L.c4b, n, h, 1);
      __syncthreads();
      linear_bwd_input(l, d_mean, P + L.a4w, ah2, ah2, n, h, ACTION_DIM);
      linear_bwd_input(l, d_value, P + L.c4w, ch2, ch2, n, h, 1);
      __syncthreads();
      linear_bwd_params(l, ah2, ah1, grad + L.a2w, grad + L.a2b, n, h, h);
      linear_bwd_params(l, ch2, ch1, grad + L.c2w, grad + L.c2b, n, h, h);
      __syncthreads();
      linear_bwd_input(l, ah2, P + L.a2w, ah1, ah1, n, h, h);
      linear_bwd_input(l, ch2, P + L.c2w, ch1, ch1, n, h, h);
      __syncthreads();
      linear_bwd_params(l, ah1, mb_states, grad + L.a0w, grad + L.a0b, n, STATE_DIM, h);
      linear_bwd_params(l, ch1, mb_states, grad + L.c0w, grad + L.c0b, n, STATE_DIM, h);
      __syncthreads();
      // 7-10. guard, clipping, Adam, clamp
      clip_prepare_block(L.size, grad, c, stats, scalars, metrics, scratch);
      adam_apply(l, L.size, params, exp_avg, exp_avg_sq, grad, scalars, c, L.log_std);
      __syncthreads();
    }
  }
}
EDGEPPO_REGISTER(ppo_update_fused, BLOCK)

#endif
