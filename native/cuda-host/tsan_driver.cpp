// Runs every registered kernel once on small random data, built with -fsanitize=thread (`make tsan`),
// so ThreadSanitizer sees each kernel's threads and barriers: a data race in shared or global memory
// fails the run. Numbers are checked by the Java tests, not here; this checks the synchronisation and
// that no kernel was left out.
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cuda_host.h"
#include "../../cuda-kernels/common.cuh"

extern "C" {
int edgeppo_launch(const char* name, int grid, int block, int shared_bytes, void** args);
const char* edgeppo_last_error();
int edgeppo_kernel_count();
const char* edgeppo_kernel_name(int i);
}

static std::set<std::string> launched;
static std::mt19937 rng(7);

static std::vector<float> rnd(size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

template <typename... A>
static void launch(const char* name, int grid, int block, A... a) {
  void* args[] = {(void*)&a...};
  if (edgeppo_launch(name, grid, block, 0, args) != 0) {
    std::fprintf(stderr, "FAIL %s\n", edgeppo_last_error());
    std::exit(1);
  }
  launched.insert(name);
}

int main() {
  // the online shape (H 64, minibatches of 32) with a tail: T 40 gives slices of 32 and 8 rows
  const int H = 64, T = 40, MB = 32, BLOCK = 64, FUSED_BLOCK = 256;
  const Layout L = edgeppo_layout(H);
  PpoConsts c{};
  c.beta1 = 0.9; c.beta2 = 0.999;
  c.gamma = 0.99f; c.gamma_lambda = 0.99f * 0.95f;
  c.clip_eps = 0.2f; c.clip_lo = 0.8f; c.clip_hi = 1.2f;
  c.value_coef = 0.5f; c.entropy_coef = 0.01f; c.max_grad_norm = 0.5f; c.lr = 3e-4f; c.adam_eps = 1e-8f;
  c.log_std_min = -4.6051702f; c.log_std_max = 0.f;
  c.epochs = 2; c.minibatch = MB; c.normalize = 1; c.t = T; c.adam_step = 0;

  auto params = rnd(L.size, -0.3f, 0.3f);
  params[L.log_std] = params[L.log_std + 1] = -1.f;
  std::vector<float> m(L.size), v(L.size), grad(L.size), metrics(M_COUNT), scalars(SC_COUNT), stats(M_STEP_STATS);
  auto states = rnd(T * STATE_DIM, 0, 1), next = rnd(T * STATE_DIM, 0, 1), actions = rnd(T * ACTION_DIM, 0, 1);
  auto logp = rnd(T, -2, 0), values = rnd(T, -1, 1), rewards = rnd(T, -1, 1), dones = rnd(T, 0, 1);
  for (auto& d : dones) d = d < 0.1f ? 1.f : 0.f;
  std::vector<int> order(2 * T);
  for (int i = 0; i < 2 * T; i++) order[i] = (i * 7) % T;  // a permutation per epoch
  std::vector<float> vnext(T), adv(T), ret(T), h1(T * H), h2(T * H), prod(T * H), mean(T * ACTION_DIM),
      dmean(T * ACTION_DIM), value(T), dvalue(T), mbs(T * STATE_DIM), mba(T * ACTION_DIM), mbl(T), mbad(T), mbr(T);
  float* P = params.data();
  float* G = grad.data();

  // layered: every kernel of the step, in the order CudaBackend launches them
  launch("linear_forward", 3, BLOCK, (const float*)next.data(), (const float*)P + L.critic[0].w, (const float*)P + L.critic[0].b,
         h1.data(), T, STATE_DIM, H, ACT_RELU);
  launch("gae", 1, BLOCK, T, (const float*)rewards.data(), (const float*)values.data(), (const float*)vnext.data(),
         (const float*)dones.data(), c, adv.data(), ret.data(), metrics.data());
  launch("gather_minibatch", 1, BLOCK, (const int*)order.data(), 8, MB, (const float*)states.data(),
         (const float*)actions.data(), (const float*)logp.data(), (const float*)adv.data(), (const float*)ret.data(),
         mbs.data(), mba.data(), mbl.data(), mbad.data(), mbr.data());
  launch("ppo_loss", 1, BLOCK, MB, (const float*)mean.data(), (const float*)P + L.log_std, (const float*)mba.data(),
         (const float*)mbl.data(), (const float*)mbad.data(), (const float*)mbr.data(), (const float*)value.data(), c,
         dmean.data(), dvalue.data(), G + L.log_std, scalars.data(), stats.data());
  launch("linear_backward_params", 3, BLOCK, (const float*)h2.data(), (const float*)h1.data(), G + L.actor[1].w, G + L.actor[1].b,
         MB, H, H);
  launch("linear_backward_input", 3, BLOCK, (const float*)h2.data(), (const float*)P + L.actor[1].w, (const float*)h1.data(),
         h1.data(), MB, H, H);
  // the GEMM path's finishing kernels
  launch("bias_activation", 2, BLOCK, h2.data(), (const float*)P + L.actor[1].b, T, H, ACT_RELU);
  launch("relu_mask", 2, BLOCK, (const float*)prod.data(), (const float*)h1.data(), h1.data(), T * H);
  launch("bias_grad", 1, BLOCK, (const float*)h2.data(), G + L.actor[1].b, T, H);
  launch("grad_clip_prepare", 1, BLOCK, L.size, (const float*)G, c, (const float*)stats.data(), scalars.data(),
         metrics.data());
  launch("adam_step", 4, BLOCK, L.size, P, m.data(), v.data(), (const float*)G, (const float*)scalars.data(), c,
         L.log_std);

  // fused: the whole update in one block of the GPU's size, two epochs of two minibatches
  std::fill(metrics.begin(), metrics.end(), 0.f);
  std::fill(scalars.begin(), scalars.end(), 0.f);
  launch("ppo_update_fused", 1, FUSED_BLOCK, L, c, P, m.data(), v.data(), metrics.data(), scalars.data(), stats.data(),
         (const float*)states.data(), (const float*)actions.data(), (const float*)logp.data(),
         (const float*)values.data(), (const float*)rewards.data(), (const float*)next.data(),
         (const float*)dones.data(), (const int*)order.data(), G, vnext.data(), adv.data(), ret.data());
  if (metrics[M_ERROR] != 0.f || metrics[M_STEPS] != 4.f) {
    std::fprintf(stderr, "FAIL fused ran %g steps (error flag %g)\n", metrics[M_STEPS], metrics[M_ERROR]);
    return 1;
  }

  int missing = 0;
  for (int i = 0; i < edgeppo_kernel_count(); i++)
    if (!launched.count(edgeppo_kernel_name(i))) {
      std::fprintf(stderr, "FAIL kernel %s is not exercised by tsan_driver\n", edgeppo_kernel_name(i));
      missing++;
    }
  if (missing) return 1;
  std::printf("tsan-driver: %zu kernels ran under ThreadSanitizer, fused update did %g steps (%g skipped); no race reported\n",
              launched.size(), metrics[M_STEPS], metrics[M_SKIPPED]);
  return 0;
}
