// The PPO loss of SPEC §2 for one minibatch and its gradient with respect to the actor's mean (taken
// back through the Sigmoid), the critic's value and log_std; the Gaussian log-prob and entropy; and the
// gather that lays a minibatch out contiguously. Shapes: mean/actions [n, 2], value/ret/adv/logp_old [n].
// Built through edgeppo.cu: nvcc -fatbin for the GPU, g++ -include cuda_host.h for the host.
#ifndef EDGEPPO_LOSS_CU
#define EDGEPPO_LOSS_CU
#include "common.cuh"

#define HALF_LOG_2PI 0.9189385332046727f

// log N(a | mean, exp(log_std)) summed over the action dimensions (torch Normal.log_prob).
__device__ inline float gaussian_log_prob(const float* a, const float* mean, const float* log_std) {
  float lp = 0.f;
  for (int d = 0; d < ACTION_DIM; d++) {
    float z = (a[d] - mean[d]) / expf(log_std[d]);
    lp += -0.5f * z * z - log_std[d] - HALF_LOG_2PI;
  }
  return lp;
}

// Entropy sum_d (0.5 + 0.5 ln 2 pi + log_std_d): the same for every row.
__device__ inline float gaussian_entropy(const float* log_std) {
  float h = 0.f;
  for (int d = 0; d < ACTION_DIM; d++) h += 0.5f + HALF_LOG_2PI + log_std[d];
  return h;
}

// ---- gather: minibatch rows order[start..start+n) into contiguous buffers (order is the identity
// unless minibatches are shuffled).
__device__ inline void gather_rows(Lanes l, const int* order, int start, int n, const float* states,
                                   const float* actions, const float* logp, const float* adv, const float* ret,
                                   float* mb_states, float* mb_actions, float* mb_logp, float* mb_adv,
                                   float* mb_ret) {
  for (int i = l.first; i < n; i += l.stride) {
    int r = order[start + i];
    for (int k = 0; k < STATE_DIM; k++) mb_states[i * STATE_DIM + k] = states[r * STATE_DIM + k];
    for (int d = 0; d < ACTION_DIM; d++) mb_actions[i * ACTION_DIM + d] = actions[r * ACTION_DIM + d];
    mb_logp[i] = logp[r];
    mb_adv[i] = adv[r];
    mb_ret[i] = ret[r];
  }
}

// ---- loss and its gradient for n rows, one block. Writes d_mean_pre [n, 2] (gradient at the Sigmoid's
// input), d_value [n], the log_std gradient into grad_log_std[0..2), this step's loss into scalars and
// its statistics into the metric sums (added later, once the guard has decided; see adam.cu).
// scratch holds 6 * blockDim.x floats; stats receives this step's values at the slots M_POLICY, M_VALUE,
// M_ENTROPY, M_KL and M_CLIP.
__device__ inline void ppo_loss_block(int n, const float* mean, const float* log_std, const float* actions,
                                      const float* logp_old, const float* adv, const float* ret,
                                      const float* value, const PpoConsts& c, float* d_mean_pre,
                                      float* d_value, float* grad_log_std, float* scalars, float* stats,
                                      float* scratch) {
  float var[ACTION_DIM];
  for (int d = 0; d < ACTION_DIM; d++) {
    float s = expf(log_std[d]);
    var[d] = s * s;
  }
  float inv_n = 1.f / n;
  // partial sums: policy surrogate, squared value error, kl, clipped rows, d log_std[0], d log_std[1]
  float part[6] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    const float* a = actions + i * ACTION_DIM;
    const float* m = mean + i * ACTION_DIM;
    float log_ratio = gaussian_log_prob(a, m, log_std) - logp_old[i];
    float ratio = expf(log_ratio);
    float A = adv[i];
    float clamped = fminf(fmaxf(ratio, c.clip_lo), c.clip_hi);
    float surr1 = ratio * A, surr2 = clamped * A;
    part[0] += fminf(surr1, surr2);
    part[2] += (ratio - 1.f) - log_ratio;
    if (fabsf(ratio - 1.f) > c.clip_eps) part[3] += 1.f;
    // torch.minimum sends the gradient to the smaller term, half to each on a tie; clamp passes it
    // only inside [lo, hi].
    float w1 = surr1 < surr2 ? 1.f : surr1 > surr2 ? 0.f : 0.5f;
    float clamp_grad = ratio >= c.clip_lo && ratio <= c.clip_hi ? 1.f : 0.f;
    float d_ratio = -inv_n * (w1 * A + (1.f - w1) * A * clamp_grad);
    float d_logp = d_ratio * ratio;
    for (int d = 0; d < ACTION_DIM; d++) {
      float diff = a[d] - m[d];
      d_mean_pre[i * ACTION_DIM + d] = d_logp * diff / var[d] * m[d] * (1.f - m[d]);
      part[4 + d] += d_logp * (diff * diff / var[d] - 1.f);
    }
    float e = value[i] - ret[i];
    part[1] += e * e;
    d_value[i] = c.value_coef * 2.f * e * inv_n;
  }
  block_sum(scratch, part, 6);
  if (threadIdx.x == 0) {
    int nb = blockDim.x;
    float policy = -scratch[0] / n, vloss = scratch[nb] / n, entropy = gaussian_entropy(log_std);
    for (int d = 0; d < ACTION_DIM; d++) grad_log_std[d] = scratch[(4 + d) * nb] - c.entropy_coef;
    scalars[SC_LOSS] = policy + c.value_coef * vloss - c.entropy_coef * entropy;
    stats[M_POLICY] = policy;
    stats[M_VALUE] = vloss;
    stats[M_ENTROPY] = entropy;
    stats[M_KL] = scratch[2 * nb] / n;
    stats[M_CLIP] = scratch[3 * nb] / n;
  }
}

extern "C" __global__ void gather_minibatch(const int* order, int start, int n, const float* states,
                                            const float* actions, const float* logp, const float* adv,
                                            const float* ret, float* mb_states, float* mb_actions,
                                            float* mb_logp, float* mb_adv, float* mb_ret) {
  gather_rows(grid_lanes(), order, start, n, states, actions, logp, adv, ret, mb_states, mb_actions, mb_logp,
              mb_adv, mb_ret);
}
EDGEPPO_REGISTER(gather_minibatch, ELEMENTWISE)

// One block of a power-of-two size <= EDGEPPO_MAX_THREADS.
extern "C" __global__ void ppo_loss(int n, const float* mean, const float* log_std, const float* actions,
                                    const float* logp_old, const float* adv, const float* ret, const float* value,
                                    PpoConsts c, float* d_mean_pre, float* d_value, float* grad_log_std,
                                    float* scalars, float* stats) {
  __shared__ float scratch[6 * EDGEPPO_MAX_THREADS];
  ppo_loss_block(n, mean, log_std, actions, logp_old, adv, ret, value, c, d_mean_pre, d_value, grad_log_std,
                 scalars, stats, scratch);
}
EDGEPPO_REGISTER(ppo_loss, BLOCK)

#endif
