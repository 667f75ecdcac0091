// The whole PPO update of SPEC §2 in one launch of one block, for the online batch (minibatches of at
// most FUSED_MAX_ROWS rows, hidden widths <= FUSED_MAX_H): bootstrap values, GAE, then every epoch's
// minibatch steps (forward of both networks, loss, backward, clipping, Adam), with the activations in
// shared memory. At T = 32, H = 64 the arithmetic is ~1 MFLOP per step: launches, not arithmetic, are the
// cost, so one launch replaces the layered path's ~80. Weights, gradients and Adam moments (37 KB each at
// H = 64) stay in global memory, read through L1; shared memory holds what is re-read most: 40 KB of
// static arrays at FUSED_MAX_ROWS 32, FUSED_MAX_H 64 and two hidden layers per network (four activation
// buffers of 8 KB, 6 KB of reduction scratch, 2 KB of minibatch rows), under the 48 KB a block may
// declare statically.
// The networks are not spelled out here: the kernel walks the layer tables of struct Layout (each
// layer's offsets, widths and activation, generated from dev.edgeppo.ppo.ParamLayout with ACTOR_LAYERS
// and CRITIC_LAYERS), so a change of the description changes this kernel without an edit.
// It calls the very device functions the layered kernels wrap, so both paths compute the same numbers.
// Built through edgeppo.cu: nvcc -fatbin for the GPU, g++ -include cuda_host.h for the host.
#ifndef EDGEPPO_FUSED_CU
#define EDGEPPO_FUSED_CU
#include "common.cuh"
#include "linear.cu"
#include "loss.cu"
#include "gae.cu"
#include "adam.cu"

// What the loss assumes of the networks' outputs: it takes the actor's mean back through its Sigmoid
// itself (d_mean_pre) and reads the critic's output as V(s).
#if ACTOR_OUT_ACT != ACT_SIGMOID || CRITIC_OUT_ACT != ACT_NONE
#error "ppo_loss_block folds a Sigmoid on the actor's mean and none on the critic's value: see loss.cu"
#endif

// One activation slab of a hidden layer in shared memory: FUSED_MAX_ROWS rows of at most FUSED_MAX_H.
#define FUSED_SLAB (FUSED_MAX_ROWS * FUSED_MAX_H)
#define FUSED_HIDDEN(layers) ((layers) > 1 ? (layers) - 1 : 1)

// One network over a minibatch of n rows: layer i reads input(i) and writes output(i); the hidden
// outputs live in slabs, the last layer writes y. In the backward pass a hidden slab is overwritten by
// the gradient at that output.
struct Net {
  const LayerAt* layers;
  int count;
  const float* x;
  float* hidden;
  float* y;
  float* dy;  // gradient at the last layer's output (at its activation's input), from the loss
  __device__ const float* input(int i) const { return i == 0 ? x : hidden + (i - 1) * FUSED_SLAB; }
  __device__ float* output(int i) const { return i == count - 1 ? y : hidden + i * FUSED_SLAB; }
  __device__ float* grad_out(int i) const { return i == count - 1 ? dy : hidden + i * FUSED_SLAB; }
};

// Whether the layer table fits this kernel: the widths the loss and the slabs assume.
__device__ inline bool fits(const LayerAt* layers, int count, int outputs) {
  if (layers[0].in != STATE_DIM || layers[count - 1].out != outputs) return false;
  for (int i = 0; i + 1 < count; i++)
    if (layers[i].out > FUSED_MAX_H || layers[i + 1].in != layers[i].out) return false;
  return true;
}

// Forward of several networks side by side, layer by layer: they are independent, so one barrier per
// layer serves them all.
__device__ inline void nets_fwd(Lanes l, const float* P, const Net* nets, int count, int n) {
  int depth = 0;
  for (int k = 0; k < count; k++) depth = nets[k].count > depth ? nets[k].count : depth;
  for (int i = 0; i < depth; i++) {
    for (int k = 0; k < count; k++) {
      if (i >= nets[k].count) continue;
      const LayerAt& a = nets[k].layers[i];
      linear_fwd(l, nets[k].input(i), P + a.w, P + a.b, nets[k].output(i), n, a.in, a.out, a.act);
    }
    __syncthreads();
  }
}

// Backward of nets_fwd's pass from each network's dy to every weight and bias gradient, from the output
// layer down, the networks side by side. Each layer's input gradient overwrites its input activation
// once the weight gradient that reads it is done.
__device__ inline void nets_bwd(Lanes l, const float* P, float* grad, const Net* nets, int count, int n) {
  int depth = 0;
  for (int k = 0; k < count; k++) depth = nets[k].count > depth ? nets[k].count : depth;
  for (int d = 0; d < depth; d++) {
    for (int k = 0; k < count; k++) {
      int i = nets[k].count - 1 - d;
      if (i < 0) continue;
      const LayerAt& a = nets[k].layers[i];
      linear_bwd_params(l, nets[k].grad_out(i), nets[k].input(i), grad + a.w, grad + a.b, n, a.in, a.out);
    }
    __syncthreads();
    if (d == depth - 1) break;  // the inputs of the first layers are the states: no gradient wanted
    for (int k = 0; k < count; k++) {
      int i = nets[k].count - 1 - d;
      if (i < 1) continue;
      const LayerAt& a = nets[k].layers[i];
      float* x = nets[k].hidden + (i - 1) * FUSED_SLAB;
      linear_bwd_input(l, nets[k].grad_out(i), P + a.w, x, nets[k].layers[i - 1].act, x, n, a.in, a.out);
    }
    __syncthreads();
  }
}

// Launch with one block of a power-of-two size <= EDGEPPO_MAX_THREADS. order holds epochs * t row
// indices (one permutation per epoch). grad, v_next, adv, ret are global work buffers.
extern "C" __global__ void ppo_update_fused(Layout L, PpoConsts c, float* params, float* exp_avg,
                                            float* exp_avg_sq, float* metrics, float* scalars, float* stats,
                                            const float* states, const float* actions, const float* logp_old,
                                            const float* values, const float* rewards, const float* next_states,
                                            const float* dones, const int* order, float* grad, float* v_next,
                                            float* adv, float* ret) {
  __shared__ float actor_hidden[FUSED_HIDDEN(ACTOR_LAYERS) * FUSED_SLAB];
  __shared__ float critic_hidden[FUSED_HIDDEN(CRITIC_LAYERS) * FUSED_SLAB];
  __shared__ float mean[FUSED_MAX_ROWS * ACTION_DIM], d_mean[FUSED_MAX_ROWS * ACTION_DIM];
  __shared__ float value[FUSED_MAX_ROWS], d_value[FUSED_MAX_ROWS];
  __shared__ float mb_states[FUSED_MAX_ROWS * STATE_DIM], mb_actions[FUSED_MAX_ROWS * ACTION_DIM];
  __shared__ float mb_logp[FUSED_MAX_ROWS], mb_adv[FUSED_MAX_ROWS], mb_ret[FUSED_MAX_ROWS];
  __shared__ double scratch[3 * EDGEPPO_MAX_THREADS];  // 6 floats or 2 doubles per thread
  const int t = c.t, mb = c.minibatch;
  if (mb > FUSED_MAX_ROWS || mb < 1 || !fits(L.actor, ACTOR_LAYERS, ACTION_DIM) ||
      !fits(L.critic, CRITIC_LAYERS, 1)) {
    if (threadIdx.x == 0) metrics[M_ERROR] = 1.f;
    return;
  }
  const Lanes l = block_lanes();
  const float* P = params;

  // 1. bootstrap values, FUSED_MAX_ROWS rows at a time through the critic's activation slabs
  for (int start = 0; start < t; start += FUSED_MAX_ROWS) {
    int n = t - start < FUSED_MAX_ROWS ? t - start : FUSED_MAX_ROWS;
    Net critic = {L.critic, CRITIC_LAYERS, next_states + start * STATE_DIM, critic_hidden, v_next + start, nullptr};
    nets_fwd(l, P, &critic, 1, n);
  }
  // 2-3. GAE, returns, explained variance, normalisation
  gae_block(t, rewards, values, v_next, dones, c, adv, ret, metrics, scratch);

  const Net nets[2] = {{L.actor, ACTOR_LAYERS, mb_states, actor_hidden, mean, d_mean},
                       {L.critic, CRITIC_LAYERS, mb_states, critic_hidden, value, d_value}};
  for (int epoch = 0; epoch < c.epochs; epoch++) {
    for (int start = 0; start < t; start += mb) {
      int n = t - start < mb ? t - start : mb;
      gather_rows(l, order + epoch * t, start, n, states, actions, logp_old, adv, ret, mb_states, mb_actions,
                  mb_logp, mb_adv, mb_ret);
      __syncthreads();
      nets_fwd(l, P, nets, 2, n);
      ppo_loss_block(n, mean, P + L.log_std, mb_actions, mb_logp, mb_adv, mb_ret, value, c, d_mean, d_value,
                     grad + L.log_std, scalars, stats, (float*)scratch);
      __syncthreads();
      nets_bwd(l, P, grad, nets, 2, n);
      // 7-10. guard, clipping, Adam, clamp
      clip_prepare_block(L.size, grad, c, stats, scalars, metrics, scratch);
      adam_apply(l, L.size, params, exp_avg, exp_avg_sq, grad, scalars, c, L.log_std);
      __syncthreads();
    }
  }
}
EDGEPPO_REGISTER(ppo_update_fused, BLOCK)

#endif
