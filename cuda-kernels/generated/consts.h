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
// The fused kernel's shared memory holds minibatches of at most FUSED_MAX_ROWS rows, H <= FUSED_MAX_H.
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

// Where each tensor starts in the flat parameter (and gradient, and Adam-moment) array.
struct Layout {
  int h;
  int a0w;  // actor.0.weight
  int a0b;  // actor.0.bias
  int a2w;  // actor.2.weight
  int a2b;  // actor.2.bias
  int a4w;  // actor.4.weight
  int a4b;  // actor.4.bias
  int log_std;
  int c0w;  // critic.0.weight
  int c0b;  // critic.0.bias
  int c2w;  // critic.2.weight
  int c2b;  // critic.2.bias
  int c4w;  // critic.4.weight
  int c4b;  // critic.4.bias
  int size;
};

// struct Layout for H hidden units as ParamLayout.of(h) lays it out, for host-side drivers (the
// Java host passes its own).
static inline Layout edgeppo_layout(int h) {
  Layout L = {};
  int off = 0;
  L.h = h;
  L.a0w = off;
  off += h * 5;
  L.a0b = off;
  off += h;
  L.a2w = off;
  off += h * h;
  L.a2b = off;
  off += h;
  L.a4w = off;
  off += 2 * h;
  L.a4b = off;
  off += 2;
  L.log_std = off;
  off += 2;
  L.c0w = off;
  off += h * 5;
  L.c0b = off;
  off += h;
  L.c2w = off;
  off += h * h;
  L.c2b = off;
  off += h;
  L.c4w = off;
  off += 1 * h;
  L.c4b = off;
  off += 1;
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
