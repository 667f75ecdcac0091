package dev.edgeppo.cuda;

import static dev.edgeppo.ppo.ParamLayout.ACTION_DIM;
import static dev.edgeppo.ppo.ParamLayout.STATE_DIM;

import dev.edgeppo.ppo.AdamState;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.ParamLayout;
import dev.edgeppo.ppo.PolicyParams;
import dev.edgeppo.ppo.RolloutBatch;
import dev.edgeppo.ppo.UpdateBackend;
import dev.edgeppo.ppo.UpdateMetrics;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One PPO update (docs/ppo-update.md) as launches of the kernels in cuda-kernels/, on whatever
 * {@link KernelRunner} it is given: the GPU (backend cuda) or their host build (backend cuda-host), so
 * the host run exercises exactly this orchestration.
 *
 * <p>Per update: one host-to-device copy (zeroed metric sums, the batch and the minibatch orders,
 * packed into one buffer; parameters and Adam moments too unless the device already holds exactly
 * them, as when the online learner runs update after update) and one copy back (parameters,
 * moments, metric sums). Device buffers are allocated on first use and reused while T and H fit.
 *
 * <p>Paths: {@link Path#FUSED} runs the whole update in one launch of one block (minibatches of at
 * most 32 rows, H <= 64, T <= 256: the online batch; launches, not arithmetic, cost at that size);
 * {@link Path#LAYERED} launches one kernel per layer and phase: 4 per update and 20 per minibatch
 * step, 84 at T 32 with K 4; {@link Path#LAYERED_GEMM} does the H x H layers' GEMMs with cuBLAS (on
 * the host: a loop of the same signature), chosen for minibatches of 256 rows or more.
 */
public final class CudaBackend implements UpdateBackend {
  /** Which kernels run an update. */
  public enum Path { FUSED, LAYERED, LAYERED_GEMM }

  // Limits of fused.cu (FUSED_MAX_ROWS, FUSED_MAX_H) and the size of its sequential work.
  static final int FUSED_MAX_ROWS = 32;
  static final int FUSED_MAX_H = 64;
  static final int FUSED_MAX_T = 256;
  /**
   * Block size of the fused kernel: 8 warps, two per scheduler of an SM to hide latency; at T 32, H 64
   * a hidden layer's forward is exactly 256 lanes of LINEAR_ROWS rows.
   */
  static final int FUSED_THREADS = 256;
  /** Rows per lane of linear_forward (linear.cu's LINEAR_ROWS): sizes its grid. */
  static final int LINEAR_ROWS = 8;
  /** From this many rows per minibatch the H x H GEMMs go to cuBLAS. */
  static final int GEMM_MIN_ROWS = 256;

  // Slots of the metric sums and per-step scalars (cuda-kernels/common.cuh).
  private static final int M_POLICY = 0, M_VALUE = 1, M_ENTROPY = 2, M_KL = 3, M_CLIP = 4, M_GRAD_NORM = 5,
      M_STEPS = 6, M_SKIPPED = 7, M_EXPLAINED_VAR = 8, M_ERROR = 15, M_COUNT = 16, SC_COUNT = 8, STATS = 8;
  private static final int ACT_NONE = 0, ACT_RELU = 1, ACT_SIGMOID = 2;

  private final KernelRunner runner;
  private final Path forced;
  private Regions at;
  private DeviceBuffer io, work;
  private float[] staging;
  /** The io buffer's parameters and moments equal staging[0, 3P) (what the last update copied back). */
  private boolean stateOnDevice;

  /** A backend on the first CUDA device. */
  public static CudaBackend onGpu() { return new CudaBackend(new JCudaRunner(), null); }

  /** The same kernels built for the host (native/build/libedgeppo_cudahost.so). */
  public static CudaBackend onHost() { return new CudaBackend(new HostRunner(), null); }

  /** For tests: every update takes {@code path} (null: choose as usual). */
  static CudaBackend onHost(Path path) { return new CudaBackend(new HostRunner(), path); }

  static CudaBackend onGpu(Path path) { return new CudaBackend(new JCudaRunner(), path); }

  CudaBackend(KernelRunner runner, Path forced) {
    this.runner = runner;
    this.forced = forced;
  }

  @Override
  public String name() { return runner.name(); }

  /** A line for the start-up log: device and paths. */
  public String describe() {
    String dev = runner instanceof JCudaRunner g ? "device " + g.deviceName() : "host emulation";
    String gemm = runner instanceof JCudaRunner g && g.gemmUnavailable() != null ? "; " + g.gemmUnavailable() : "";
    return name() + " on " + dev + gemm;
  }

  static boolean fusedFits(int t, int h, int minibatch) {
    return h <= FUSED_MAX_H && minibatch <= FUSED_MAX_ROWS && t <= FUSED_MAX_T;
  }

  /** The path an update of T rows takes. */
  public Path pathFor(int t, int h, Hyperparameters hp) {
    int mb = hp.minibatchFor(t);
    if (forced != null) {
      if (forced == Path.FUSED && !fusedFits(t, h, mb))
        throw new IllegalArgumentException("the fused kernel takes minibatches <= " + FUSED_MAX_ROWS + " rows, H <= "
            + FUSED_MAX_H + ", T <= " + FUSED_MAX_T + "; got minibatch " + mb + ", H " + h + ", T " + t);
      if (forced == Path.LAYERED_GEMM && !runner.hasGemm()) throw new IllegalStateException("no GEMM on " + describe());
      return forced;
    }
    if (fusedFits(t, h, mb)) return Path.FUSED;
    return mb >= GEMM_MIN_ROWS && runner.hasGemm() ? Path.LAYERED_GEMM : Path.LAYERED;
  }

  @Override
  public UpdateMetrics update(PolicyParams params, AdamState adam, RolloutBatch batch, Hyperparameters hp) {
    ParamLayout l = params.layout();
    if (adam.expAvg().length != l.size())
      throw new IllegalArgumentException("Adam state has " + adam.expAvg().length + " floats, the parameters "
          + l.size());
    Path path = pathFor(batch.size(), l.hidden(), hp);
    return runner.call(() -> run(params, adam, batch, hp, path));
  }

  /**
   * Offsets (in floats) of everything in the two device buffers: {@code io} is what crosses the bus,
   * {@code work} never does.
   */
  private record Regions(int h, int size, int t, int epochs,
                         int m, int v, int metrics, int scalars, int stats, int states, int actions, int logp,
                         int values, int rewards, int next, int dones, int order, int ioLength,
                         int grad, int vNext, int adv, int ret, int mbStates, int mbActions, int mbLogp, int mbAdv,
                         int mbRet, int ah1, int ah2, int ch1, int ch2, int mean, int dMean, int value, int dValue,
                         int prod, int workLength) {
    static Regions of(ParamLayout l, int t, int epochs) {
      int p = l.size(), h = l.hidden(), th = t * h;
      int m = p, v = 2 * p, metrics = 3 * p, scalars = metrics + M_COUNT, stats = scalars + SC_COUNT;
      int states = stats + STATS, actions = states + t * STATE_DIM, logp = actions + t * ACTION_DIM;
      int values = logp + t, rewards = values + t, next = rewards + t, dones = next + t * STATE_DIM;
      int order = dones + t, ioLength = order + epochs * t;
      int grad = 0, vNext = p, adv = vNext + t, ret = adv + t, mbStates = ret + t;
      int mbActions = mbStates + t * STATE_DIM, mbLogp = mbActions + t * ACTION_DIM, mbAdv = mbLogp + t;
      int mbRet = mbAdv + t, ah1 = mbRet + t, ah2 = ah1 + th, ch1 = ah2 + th, ch2 = ch1 + th, mean = ch2 + th;
      int dMean = mean + t * ACTION_DIM, value = dMean + t * ACTION_DIM, dValue = value + t, prod = dValue + t;
      return new Regions(h, p, t, epochs, m, v, metrics, scalars, stats, states, actions, logp, values, rewards,
          next, dones, order, ioLength, grad, vNext, adv, ret, mbStates, mbActions, mbLogp, mbAdv, mbRet, ah1, ah2,
          ch1, ch2, mean, dMean, value, dValue, prod, prod + th);
    }

    /** Floats copied back: parameters, both moments, the metric sums. */
    int downloadLength() { return metrics + M_COUNT; }
  }

  private void ensureBuffers(Regions r) {
    if (io == null || io.floats() < r.ioLength() || at.size() != r.size()) {
      if (io != null) io.close();
      io = runner.allocate(r.ioLength());
      staging = new float[r.ioLength()];
      stateOnDevice = false;
    }
    if (work == null || work.floats() < r.workLength()) {
      if (work != null) work.close();
      work = runner.allocate(r.workLength());
    }
    at = r;
  }

  private UpdateMetrics run(PolicyParams params, AdamState adam, RolloutBatch b, Hyperparameters hp, Path path) {
    ParamLayout l = params.layout();
    int t = b.size();
    ensureBuffers(Regions.of(l, t, hp.epochs()));
    Regions r = at;
    // The online learner hands back the arrays the last update filled: then only the batch crosses.
    int p = r.size();
    boolean skipState = stateOnDevice && Arrays.equals(params.data(), 0, p, staging, 0, p)
        && Arrays.equals(adam.expAvg(), 0, p, staging, r.m(), r.m() + p)
        && Arrays.equals(adam.expAvgSq(), 0, p, staging, r.v(), r.v() + p);
    stateOnDevice = false; // until this update's results are back
    stage(params, adam, b, hp, r);
    int from = skipState ? r.metrics() : 0;
    runner.upload(staging, from, io.at(from), r.ioLength() - from);

    int[] layoutArgs = KernelArgs.layout(l);
    int[] consts = KernelArgs.ppoConsts(hp, t, adam.step());
    if (path == Path.FUSED) {
      runner.launch("ppo_update_fused", Launch.oneBlock(FUSED_THREADS), layoutArgs, consts, io.at(0), io.at(r.m()),
          io.at(r.v()), io.at(r.metrics()), io.at(r.scalars()), io.at(r.stats()), io.at(r.states()),
          io.at(r.actions()), io.at(r.logp()), io.at(r.values()), io.at(r.rewards()), io.at(r.next()),
          io.at(r.dones()), io.at(r.order()), work.at(r.grad()), work.at(r.vNext()), work.at(r.adv()),
          work.at(r.ret()));
    } else {
      new Layered(l, r, consts, path == Path.LAYERED_GEMM).update(t, hp);
    }

    runner.download(io.at(0), staging, 0, r.downloadLength());
    float[] s = staging;
    if (s[r.metrics() + M_ERROR] != 0f)
      throw new KernelException("kernel ppo_update_fused: refused shapes T " + t + ", H " + l.hidden() + ", minibatch "
          + hp.minibatchFor(t));
    System.arraycopy(s, 0, params.data(), 0, p);
    System.arraycopy(s, r.m(), adam.expAvg(), 0, p);
    System.arraycopy(s, r.v(), adam.expAvgSq(), 0, p);
    int mo = r.metrics();
    int steps = Math.round(s[mo + M_STEPS]), skipped = Math.round(s[mo + M_SKIPPED]);
    adam.setStep(adam.step() + steps - skipped);
    stateOnDevice = true;
    double done = Math.max(1, steps - skipped);
    double[] std = new double[ACTION_DIM];
    for (int d = 0; d < ACTION_DIM; d++) std[d] = Math.exp(params.data()[l.logStd.offset() + d]);
    return new UpdateMetrics(s[mo + M_POLICY] / done, s[mo + M_VALUE] / done, s[mo + M_ENTROPY] / done,
        s[mo + M_KL] / done, s[mo + M_CLIP] / done, s[mo + M_EXPLAINED_VAR], std, s[mo + M_GRAD_NORM] / done,
        steps, skipped, t);
  }

  /** Packs everything the update reads into the staging array, laid out as {@link Regions}. */
  private void stage(PolicyParams params, AdamState adam, RolloutBatch b, Hyperparameters hp, Regions r) {
    float[] s = staging;
    int p = r.size(), t = r.t();
    System.arraycopy(params.data(), 0, s, 0, p);
    System.arraycopy(adam.expAvg(), 0, s, r.m(), p);
    System.arraycopy(adam.expAvgSq(), 0, s, r.v(), p);
    Arrays.fill(s, r.metrics(), r.states(), 0f);
    System.arraycopy(b.states(), 0, s, r.states(), t * STATE_DIM);
    System.arraycopy(b.actions(), 0, s, r.actions(), t * ACTION_DIM);
    System.arraycopy(b.logProbs(), 0, s, r.logp(), t);
    System.arraycopy(b.values(), 0, s, r.values(), t);
    System.arraycopy(b.rewards(), 0, s, r.rewards(), t);
    System.arraycopy(b.nextStates(), 0, s, r.next(), t * STATE_DIM);
    System.arraycopy(b.dones(), 0, s, r.dones(), t);
    // Row orders of every epoch, as the CPU backend draws them; ints travel as their bit patterns.
    int[] order = new int[t];
    for (int i = 0; i < t; i++) order[i] = i;
    SplittableRandom shuffler = CpuBackend.shuffler(hp, adam.step());
    for (int e = 0; e < hp.epochs(); e++) {
      if (shuffler != null) CpuBackend.shuffle(order, t, shuffler);
      for (int i = 0; i < t; i++) s[r.order() + e * t + i] = Float.intBitsToFloat(order[i]);
    }
  }

  /** The layered path: one launch per layer and phase, the same device functions as the fused kernel. */
  private final class Layered {
    /** One network's tensor offsets and output width. */
    private record Net(int w0, int b0, int w2, int b2, int w4, int b4, int out, int h1, int h2, int y, int dy) {}

    private final ParamLayout l;
    private final Regions r;
    private final int[] consts;
    private final boolean gemm;
    private final int h;
    private final Net actor, critic;

    Layered(ParamLayout l, Regions r, int[] consts, boolean gemm) {
      this.l = l;
      this.r = r;
      this.consts = consts;
      this.gemm = gemm;
      this.h = l.hidden();
      actor = new Net(l.actor0W.offset(), l.actor0B.offset(), l.actor2W.offset(), l.actor2B.offset(),
          l.actor4W.offset(), l.actor4B.offset(), ACTION_DIM, r.ah1(), r.ah2(), r.mean(), r.dMean());
      critic = new Net(l.critic0W.offset(), l.critic0B.offset(), l.critic2W.offset(), l.critic2B.offset(),
          l.critic4W.offset(), l.critic4B.offset(), 1, r.ch1(), r.ch2(), r.value(), r.dValue());
    }

    private DevicePtr param(int off) { return io.at(off); }
    private DevicePtr grad(int off) { return work.at(r.grad() + off); }
    private DevicePtr w(int off) { return work.at(off); }

    void update(int t, Hyperparameters hp) {
      // 1-3: bootstrap values through the critic, then GAE, explained variance, normalisation
      forward(critic, io.at(r.next()), t, w(r.vNext()));
      runner.launch("gae", Launch.oneBlock(Launch.THREADS), t, io.at(r.rewards()), io.at(r.values()), w(r.vNext()),
          io.at(r.dones()), consts, w(r.adv()), w(r.ret()), io.at(r.metrics()));
      int mb = hp.minibatchFor(t);
      for (int e = 0; e < hp.epochs(); e++)
        for (int start = 0; start < t; start += mb) step(e, start, Math.min(mb, t - start), t);
    }

    private void step(int epoch, int start, int n, int t) {
      runner.launch("gather_minibatch", Launch.elementwise(n), io.at(r.order() + epoch * t), start, n,
          io.at(r.states()), io.at(r.actions()), io.at(r.logp()), w(r.adv()), w(r.ret()), w(r.mbStates()),
          w(r.mbActions()), w(r.mbLogp()), w(r.mbAdv()), w(r.mbRet()));
      forward(actor, w(r.mbStates()), n, w(r.mean()));
      forward(critic, w(r.mbStates()), n, w(r.value()));
      runner.launch("ppo_loss", Launch.oneBlock(Launch.THREADS), n, w(r.mean()), param(l.logStd.offset()),
          w(r.mbActions()), w(r.mbLogp()), w(r.mbAdv()), w(r.mbRet()), w(r.value()), consts, w(r.dMean()),
          w(r.dValue()), grad(l.logStd.offset()), io.at(r.scalars()), io.at(r.stats()));
      backward(actor, n);
      backward(critic, n);
      runner.launch("grad_clip_prepare", Launch.oneBlock(Launch.THREADS), r.size(), w(r.grad()), consts,
          io.at(r.stats()), io.at(r.scalars()), io.at(r.metrics()));
      runner.launch("adam_step", Launch.elementwise(r.size()), r.size(), io.at(0), io.at(r.m()), io.at(r.v()),
          w(r.grad()), io.at(r.scalars()), consts, l.logStd.offset());
    }

    /** x [n, 5] through the network into y [n, out]; hidden activations kept in the net's buffers. */
    private void forward(Net net, DevicePtr x, int n, DevicePtr y) {
      linear(x, net.w0(), net.b0(), w(net.h1()), n, STATE_DIM, h, ACT_RELU, false);
      linear(w(net.h1()), net.w2(), net.b2(), w(net.h2()), n, h, h, ACT_RELU, gemm);
      linear(w(net.h2()), net.w4(), net.b4(), y, n, h, net.out(), net == actor ? ACT_SIGMOID : ACT_NONE, false);
    }

    /**
     * From the loss gradient at the output (already through the Sigmoid) to every weight and bias.
     * Each input gradient overwrites the activation it is masked by, after the weight gradient that
     * reads that activation has run.
     */
    private void backward(Net net, int n) {
      DevicePtr h1 = w(net.h1()), h2 = w(net.h2()), dy = w(net.dy());
      paramsGrad(dy, h2, net.w4(), net.b4(), n, h, net.out(), false);
      inputGrad(dy, net.w4(), h2, n, h, net.out(), false);
      paramsGrad(h2, h1, net.w2(), net.b2(), n, h, h, gemm);
      inputGrad(h2, net.w2(), h1, n, h, h, gemm);
      paramsGrad(h1, w(r.mbStates()), net.w0(), net.b0(), n, STATE_DIM, h, false);
    }

    private void linear(DevicePtr x, int wOff, int bOff, DevicePtr y, int n, int in, int out, int act, boolean blas) {
      if (blas) {
        // row-major y[n,out] = x[n,in] W^T is column-major y^T = W x^T: op(A) = (W^T)^T with A = W as [in, out]
        runner.sgemm(true, false, out, n, in, 1f, param(wOff), in, x, in, 0f, y, out);
        runner.launch("bias_activation", Launch.elementwise((long) n * out), y, param(bOff), n, out, act);
      } else {
        long lanes = (long) (n + LINEAR_ROWS - 1) / LINEAR_ROWS * out;
        runner.launch("linear_forward", Launch.elementwise(lanes), x, param(wOff), param(bOff), y, n, in, out,
            act);
      }
    }

    private void paramsGrad(DevicePtr dy, DevicePtr x, int wOff, int bOff, int n, int in, int out, boolean blas) {
      if (blas) {
        // dW[out,in] = dy^T x, column-major dW^T = x^T dy
        runner.sgemm(false, true, in, out, n, 1f, x, in, dy, out, 0f, grad(wOff), in);
        runner.launch("bias_grad", Launch.elementwise(out), dy, grad(bOff), n, out);
      } else {
        runner.launch("linear_backward_params", Launch.elementwise((long) out * (in + 1)), dy, x, grad(wOff),
            grad(bOff), n, in, out);
      }
    }

    /** dx = (dy W) masked by the ReLU output x, written over x. */
    private void inputGrad(DevicePtr dy, int wOff, DevicePtr x, int n, int in, int out, boolean blas) {
      if (blas) {
        // dx[n,in] = dy[n,out] W[out,in], column-major dx^T = W^T dy^T
        runner.sgemm(false, false, in, n, out, 1f, param(wOff), in, dy, out, 0f, w(r.prod()), in);
        runner.launch("relu_mask", Launch.elementwise((long) n * in), w(r.prod()), x, x, n * in);
      } else {
        runner.launch("linear_backward_input", Launch.elementwise((long) n * in), dy, param(wOff), x, x, n, in, out);
      }
    }
  }

  @Override
  public void close() {
    runner.close();
  }
}
