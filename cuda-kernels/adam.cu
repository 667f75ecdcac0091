// The end of one optimisation step (docs/ppo-update.md steps 7-10): the global gradient norm, the
// non-finite guard, clipping, torch's Adam and the log_std clamp. grad, params and the Adam moments are
// flat arrays of layout.size floats in ParamLayout order.
// Built through edgeppo.cu: nvcc -fatbin for the GPU, g++ -include cuda_host.h for the host.
#ifndef EDGEPPO_ADAM_CU
#define EDGEPPO_ADAM_CU
#include "common.cuh"

// One block: the norm (in double, as the reference), the guard's decision, the clip coefficient and
// Adam's bias corrections for the next step, all into scalars; the step's statistics go into the
// metric sums only when the step is applied (metrics are means over applied steps).
// scratch holds blockDim.x doubles.
__device__ inline void clip_prepare_block(int size, const float* grad, const PpoConsts& c, const float* stats,
                                          float* scalars, float* metrics, double* scratch) {
  double sq = 0.0;
  for (int i = threadIdx.x; i < size; i += blockDim.x) sq += (double)grad[i] * grad[i];
  block_sum(scratch, &sq, 1);
  if (threadIdx.x == 0) {
    double norm = sqrt(scratch[0]);
    double loss = scalars[SC_LOSS];
    metrics[M_STEPS] += 1.f;
    if (!isfinite(loss) || !isfinite(norm)) {
      scalars[SC_APPLY] = 0.f;
      metrics[M_SKIPPED] += 1.f;
    } else {
      double coef = c.max_grad_norm / (norm + 1e-6);
      scalars[SC_APPLY] = 1.f;
      scalars[SC_COEF] = coef < 1.0 ? (float)coef : 1.f;
      scalars[SC_APPLIED] += 1.f;
      double t = (double)c.adam_step + scalars[SC_APPLIED];
      scalars[SC_STEP_SIZE] = (float)(c.lr / (1.0 - pow(c.beta1, t)));
      scalars[SC_BC2_SQRT] = (float)sqrt(1.0 - pow(c.beta2, t));
      metrics[M_GRAD_NORM] += (float)norm;
      for (int k = 0; k < M_STEP_STATS; k++) metrics[k] += stats[k];
    }
  }
  __syncthreads();
}

// Element-wise: torch.optim.Adam (lerp for the first moment, as torch), then the log_std clamp.
__device__ inline void adam_apply(Lanes l, int size, float* params, float* exp_avg, float* exp_avg_sq,
                                  const float* grad, const float* scalars, const PpoConsts& c, int log_std_off) {
  if (scalars[SC_APPLY] == 0.f) return;
  float coef = scalars[SC_COEF], step_size = scalars[SC_STEP_SIZE], bc2 = scalars[SC_BC2_SQRT];
  // rounded from double once, as torch rounds its Python-float hyperparameters
  const float w1 = (float)(1.0 - c.beta1), b2 = (float)c.beta2, w2 = (float)(1.0 - c.beta2);
  for (int i = l.first; i < size; i += l.stride) {
    float g = coef < 1.f ? grad[i] * coef : grad[i];
    float m = exp_avg[i] + w1 * (g - exp_avg[i]);
    float v = exp_avg_sq[i] * b2 + w2 * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    float denom = sqrtf(v) / bc2 + c.adam_eps;
    float p = params[i] - step_size * m / denom;
    if (i >= log_std_off && i < log_std_off + ACTION_DIM) p = fminf(fmaxf(p, c.log_std_min), c.log_std_max);
    params[i] = p;
  }
}

// One block of a power-of-two size <= EDGEPPO_MAX_THREADS.
extern "C" __global__ void grad_clip_prepare(int size, const float* grad, PpoConsts c, const float* stats,
                                             float* scalars, float* metrics) {
  __shared__ double scratch[EDGEPPO_MAX_THREADS];
  clip_prepare_block(size, grad, c, stats, scalars, metrics, scratch);
}
EDGEPPO_REGISTER(grad_clip_prepare, BLOCK)

extern "C" __global__ void adam_step(int size, float* params, float* exp_avg, float* exp_avg_sq, const float* grad,
                                     const float* scalars, PpoConsts c, int log_std_off) {
  adam_apply(grid_lanes(), size, params, exp_avg, exp_avg_sq, grad, scalars, c, log_std_off);
}
EDGEPPO_REGISTER(adam_step, ELEMENTWISE)

#endif
