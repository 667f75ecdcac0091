package dev.edgeppo.cuda;

import dev.edgeppo.ppo.ParamLayout;
import dev.edgeppo.ppo.ParamLayout.Activation;

/**
 * One typed method per kernel of cuda-kernels/, as jextract writes one per C function: the parameters
 * are the kernel's C parameters in order, with their names (in camelCase) and Java types (a
 * {@link DevicePtr} per pointer, {@code int}, {@code float}, the structs as {@link ParamLayout} and
 * {@link KernelAbi.PpoConsts}, an activation as {@link Activation}), so a call with arguments of the
 * wrong kinds or count does not compile. KernelSignatureTest reads the C signatures and fails on any
 * difference in order, name or type. Each method also knows its kernel's launch shape. The same calls
 * run on the GPU ({@link JCudaRunner}) and on the host build ({@link HostRunner}).
 */
final class Kernels {
  private final KernelRunner runner;

  Kernels(KernelRunner runner) { this.runner = runner; }

  private static KernelArgs args() { return new KernelArgs(); }

  /** Threads per block of the block-cooperative kernels. */
  private static Launch block() { return Launch.oneBlock(KernelAbi.MAX_THREADS); }

  /** y [n, out] = act(x [n, in] W^T + b): one lane per output column and LINEAR_ROWS rows. */
  void linearForward(DevicePtr x, DevicePtr w, DevicePtr b, DevicePtr y, int n, int in, int out, Activation act) {
    long lanes = (long) (n + KernelAbi.LINEAR_ROWS - 1) / KernelAbi.LINEAR_ROWS * out;
    runner.launch("linear_forward", Launch.elementwise(lanes),
        args().ptr(x).ptr(w).ptr(b).ptr(y).i32(n).i32(in).i32(out).i32(act.code()));
  }

  /** dx [n, in] = (dy W) * act'(x), x = act(z) being the layer's input (dx may be x itself). */
  void linearBackwardInput(DevicePtr dy, DevicePtr w, DevicePtr x, Activation act, DevicePtr dx, int n, int in,
                           int out) {
    runner.launch("linear_backward_input", Launch.elementwise((long) n * in),
        args().ptr(dy).ptr(w).ptr(x).i32(act.code()).ptr(dx).i32(n).i32(in).i32(out));
  }

  /** dW [out, in] = dy^T x, db [out] = column sums of dy. */
  void linearBackwardParams(DevicePtr dy, DevicePtr x, DevicePtr dw, DevicePtr db, int n, int in, int out) {
    runner.launch("linear_backward_params", Launch.elementwise((long) out * (in + 1)),
        args().ptr(dy).ptr(x).ptr(dw).ptr(db).i32(n).i32(in).i32(out));
  }

  /** y [n, out] := act(y + b), after a GEMM. */
  void biasActivation(DevicePtr y, DevicePtr b, int n, int out, Activation act) {
    runner.launch("bias_activation", Launch.elementwise((long) n * out),
        args().ptr(y).ptr(b).i32(n).i32(out).i32(act.code()));
  }

  /** dx := prod * act'(x) over count elements, x = act(z); dx may be x itself. */
  void activationBackward(DevicePtr prod, DevicePtr x, Activation act, DevicePtr dx, int count) {
    runner.launch("activation_backward", Launch.elementwise(count),
        args().ptr(prod).ptr(x).i32(act.code()).ptr(dx).i32(count));
  }

  /** db [out] = column sums of dy [n, out]. */
  void biasGrad(DevicePtr dy, DevicePtr db, int n, int out) {
    runner.launch("bias_grad", Launch.elementwise(out), args().ptr(dy).ptr(db).i32(n).i32(out));
  }

  /** Rows order[start, start + n) of the batch into contiguous minibatch buffers. */
  void gatherMinibatch(DevicePtr order, int start, int n, DevicePtr states, DevicePtr actions, DevicePtr logp,
                       DevicePtr adv, DevicePtr ret, DevicePtr mbStates, DevicePtr mbActions, DevicePtr mbLogp,
                       DevicePtr mbAdv, DevicePtr mbRet) {
    runner.launch("gather_minibatch", Launch.elementwise(n), args().ptr(order).i32(start).i32(n).ptr(states)
        .ptr(actions).ptr(logp).ptr(adv).ptr(ret).ptr(mbStates).ptr(mbActions).ptr(mbLogp).ptr(mbAdv).ptr(mbRet));
  }

  /** The loss of n rows and its gradient at the mean's pre-Sigmoid, the value and log_std; one block. */
  void ppoLoss(int n, DevicePtr mean, DevicePtr logStd, DevicePtr actions, DevicePtr logpOld, DevicePtr adv,
               DevicePtr ret, DevicePtr value, KernelAbi.PpoConsts c, DevicePtr dMeanPre, DevicePtr dValue,
               DevicePtr gradLogStd, DevicePtr scalars, DevicePtr stats) {
    runner.launch("ppo_loss", block(), args().i32(n).ptr(mean).ptr(logStd).ptr(actions).ptr(logpOld).ptr(adv)
        .ptr(ret).ptr(value).struct(c.bytes()).ptr(dMeanPre).ptr(dValue).ptr(gradLogStd).ptr(scalars).ptr(stats));
  }

  /** GAE, returns, explained variance and normalisation of t rows; one block. */
  void gae(int t, DevicePtr rewards, DevicePtr values, DevicePtr vNext, DevicePtr dones, KernelAbi.PpoConsts c,
           DevicePtr adv, DevicePtr ret, DevicePtr metrics) {
    runner.launch("gae", block(), args().i32(t).ptr(rewards).ptr(values).ptr(vNext).ptr(dones).struct(c.bytes())
        .ptr(adv).ptr(ret).ptr(metrics));
  }

  /** The gradient norm, the guard, the clip coefficient and Adam's bias corrections; one block. */
  void gradClipPrepare(int size, DevicePtr grad, KernelAbi.PpoConsts c, DevicePtr stats, DevicePtr scalars,
                       DevicePtr metrics) {
    runner.launch("grad_clip_prepare", block(),
        args().i32(size).ptr(grad).struct(c.bytes()).ptr(stats).ptr(scalars).ptr(metrics));
  }

  /** Adam on every parameter, then the log_std clamp. */
  void adamStep(int size, DevicePtr params, DevicePtr expAvg, DevicePtr expAvgSq, DevicePtr grad, DevicePtr scalars,
                KernelAbi.PpoConsts c, int logStdOff) {
    runner.launch("adam_step", Launch.elementwise(size), args().i32(size).ptr(params).ptr(expAvg).ptr(expAvgSq)
        .ptr(grad).ptr(scalars).struct(c.bytes()).i32(logStdOff));
  }

  /**
   * Block size of the fused kernel: 8 warps, two per scheduler of an SM to hide latency; at T 32, H 64
   * a hidden layer's forward is exactly 256 lanes of LINEAR_ROWS rows.
   */
  static final int FUSED_THREADS = KernelAbi.MAX_THREADS;

  /** The whole update (minibatches within KernelAbi's FUSED_* limits) in one block of FUSED_THREADS. */
  void ppoUpdateFused(ParamLayout l, KernelAbi.PpoConsts c, DevicePtr params, DevicePtr expAvg,
                      DevicePtr expAvgSq, DevicePtr metrics, DevicePtr scalars, DevicePtr stats, DevicePtr states,
                      DevicePtr actions, DevicePtr logpOld, DevicePtr values, DevicePtr rewards, DevicePtr nextStates,
                      DevicePtr dones, DevicePtr order, DevicePtr grad, DevicePtr vNext, DevicePtr adv, DevicePtr ret) {
    runner.launch("ppo_update_fused", Launch.oneBlock(FUSED_THREADS), args().struct(KernelAbi.layout(l)).struct(c.bytes())
        .ptr(params).ptr(expAvg).ptr(expAvgSq).ptr(metrics).ptr(scalars).ptr(stats).ptr(states).ptr(actions)
        .ptr(logpOld).ptr(values).ptr(rewards).ptr(nextStates).ptr(dones).ptr(order).ptr(grad).ptr(vNext).ptr(adv)
        .ptr(ret));
  }
}
