// GENERATED from dev.edgeppo.cuda.KernelAbi (and dev.edgeppo.ppo.ParamLayout): do not edit.
// `make kernel-header` rewrites it; KernelAbiTest fails when it differs from what Java would write.
#ifndef EDGEPPO_GENERATED_CONSTS_H
#define EDGEPPO_GENERATED_CONSTS_H

#define STATE_DIM 5
#define ACTION_DIM 2

// Activation applied after a linear layer.
#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_SIGMOID 2

// Block size limit of the block-cooperative kernels (a power of two): reduction scratch is sized for it.
#define EDGEPPO_MAX_THREADS 256
// The fused kernel's shared memory holds minibatches of at most FUSED_MAX_ROWS rows, hidden widths <= FUSED_MAX_H.
#define FUSED_MAX_ROWS 32
#define FUSED_MAX_H 64
// Rows per lane of linear_fwd.
#define LINEAR_ROWS 8

// Per-step scalars written by one phase and read by the next.
#define SC_LOSS 0  // this step's loss (finiteness guard)
#define SC_APPLY 1  // 1 when the step goes ahead, 0 when the guard skips it
#define SC_COEF 2  // gradient scale from clipping (1 when not clipping)
#define SC_STEP_SIZE 3  // lr / (1 - beta1^t)
#define SC_BC2_SQRT 4  // sqrt(1 - beta2^t)
#define SC_APPLIED 5  // steps applied so far in this update
#define SC_COUNT 6

// Metric sums accumulated over an update's steps and copied back once (UpdateMetrics). Slots
// [0, M_STEP_STATS) are also those of a step's stats, added only when the step is applied.
#define M_POLICY 0  // policy loss
#define M_VALUE 1  // value loss
#define M_ENTROPY 2  // entropy
#define M_KL 3  // approx_kl
#define M_CLIP 4  // clip_fraction
#define M_GRAD_NORM 5  // gradient norm before clipping
#define M_STEPS 6  // steps run
#define M_SKIPPED 7  // steps the non-finite guard skipped
#define M_EXPLAINED_VAR 8  // explained variance, written once
#define M_ERROR 9  // set by a kernel asked for shapes it cannot handle
#define M_STEP_STATS 5
#define M_COUNT 10

// One linear layer y = act(x W^T + b) of a network: where W [out, in] and b [out] start in the flat
// parameter (and gradient, and Adam-moment) array, its widths and its activation (ACT_*).
struct LayerAt {
  int w;
  int b;
  int in;
  int out;
  int act;
};

// The networks of ParamLayout, input layer first, and the activation of each one's output layer
// (which the loss assumes: see fused.cu).
#define ACTOR_LAYERS 3
#define ACTOR_OUT_ACT ACT_SIGMOID
#define CRITIC_LAYERS 3
#define CRITIC_OUT_ACT ACT_NONE

// Everything the kernels know of the networks' shapes and where their tensors start.
struct Layout {
  int h;
  LayerAt actor[ACTOR_LAYERS];
  int log_std;
  LayerAt critic[CRITIC_LAYERS];
  int size;
};

// struct Layout for H hidden units as ParamLayout.of(h) lays it out, for host-side drivers (the
// Java host passes its own).
static inline Layout edgeppo_layout(int h) {
  Layout L = {};
  int off = 0;
  L.h = h;
  L.actor[0].w = off;  // actor.0.weight
  off += h * 5;
  L.actor[0].b = off;  // actor.0.bias
  off += h;
  L.actor[1].w = off;  // actor.2.weight
  off += h * h;
  L.actor[1].b = off;  // actor.2.bias
  off += h;
  L.actor[2].w = off;  // actor.4.weight
  off += 2 * h;
  L.actor[2].b = off;  // actor.4.bias
  off += 2;
  L.log_std = off;
  off += 2;
  L.critic[0].w = off;  // critic.0.weight
  off += h * 5;
  L.critic[0].b = off;  // critic.0.bias
  off += h;
  L.critic[1].w = off;  // critic.2.weight
  off += h * h;
  L.critic[1].b = off;  // critic.2.bias
  off += h;
  L.critic[2].w = off;  // critic.4.weight
  off += 1 * h;
  L.critic[2].b = off;  // critic.4.bias
  off += 1;
  L.actor[0].in = 5;
  L.actor[0].out = h;
  L.actor[0].act = ACT_RELU;
  L.actor[1].in = h;
  L.actor[1].out = h;
  L.actor[1].act = ACT_RELU;
  L.actor[2].in = h;
  L.actor[2].out = 2;
  L.actor[2].act = ACT_SIGMOID;
  L.critic[0].in = 5;
  L.critic[0].out = h;
  L.critic[0].act = ACT_RELU;
  L.critic[1].in = h;
  L.critic[1].out = h;
  L.critic[1].act = ACT_RELU;
  L.critic[2].in = h;
  L.critic[2].out = 1;
  L.critic[2].act = ACT_NONE;
  L.size = off;
  return L;
}

// One update's constants (KernelAbi.PpoConsts).
struct PpoConsts {
  double beta1;
  double beta2;
  float gamma;
  float gamma_lambda;
  float clip_eps;
  float clip_lo;
  float clip_hi;
  float value_coef;
  float entropy_coef;
  float max_grad_norm;
  float lr;
  float adam_eps;
  float log_std_min;
  float log_std_max;
  int epochs;
  int minibatch;
  int normalize;
  int t;
  int adam_step;
};

#endif
