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
import dev.edgeppo.cuda.KernelAbi.Metric;
import java.util.Arrays;
import java.util.List;
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
 * most 32 rows, H <= 64, T <= 256: the online batch; it walks the layer tables KernelAbi writes from
 * {@link ParamLayout}); launches, not arithmetic, cost at that size);
 * {@link Path#LAYERED} launches one kernel per layer and phase: 4 per update and 20 per minibatch
 * step, 84 at T 32 with K 4; {@link Path#LAYERED_GEMM} does the H x H layers' GEMMs with cuBLAS (on
 * the host: a loop of the same signature), chosen for minibatches of 256 rows or more.
 */
public final class CudaBackend implements UpdateBackend {
  /** Which kernels run an update. */
  public enum Path { FUSED, LAYERED, LAYERED_GEMM }

  // The fused kernel's limits (KernelAbi, shared with the kernels) and the size of its sequential work.
  static final int FUSED_MAX_ROWS = KernelAbi.FUSED_MAX_ROWS;
  static final int FUSED_MAX_H = KernelAbi.FUSED_MAX_H;
  static final int FUSED_MAX_T = 256;
  /** From this many rows per minibatch the H x H GEMMs go to cuBLAS. */
  static final int GEMM_MIN_ROWS = 256;

  private final KernelRunner runner;
  private final Kernels kernels;
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
    this.kernels = new Kernels(runner);
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
    return KernelAbi.widestHidden(ParamLayout.of(h)) <= FUSED_MAX_H && minibatch <= FUSED_MAX_ROWS && t <= FUSED_MAX_T;
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

  /** Hands out consecutive regions of a buffer, in floats. */
  private static final class Slices {
    private int end;

    int take(int floats) {
      int at = end;
      end = Math.addExact(end, floats);
      return at;
    }
  }

  /** Where one network's layer outputs live in the work buffer: out[i] [t, out_i], and dOut [t, out_last]. */
  private record NetRegions(List<ParamLayout.Layer> layers, int[] out, int dOut) {
    static NetRegions of(List<ParamLayout.Layer> layers, Slices work, int t) {
      int[] out = new int[layers.size()];
      for (int i = 0; i < out.length; i++) out[i] = work.take(t * layers.get(i).out());
      return new NetRegions(layers, out, work.take(t * layers.getLast().out()));
    }

    int output() { return out[out.length - 1]; }
  }

  /**
   * Offsets (in floats) of everything in the two device buffers, each taken in turn by its size:
   * {@code io} is what crosses the bus, {@code work} never does.
   */
  private static final class Regions {
    final int h, size, t, epochs;
    // io: parameters and both Adam moments first, so one copy brings them back with the metric sums
    final int params, m, v, metrics, scalars, stats, states, actions, logp, values, rewards, next, dones, order;
    final int ioLength;
    // work
    final int grad, vNext, adv, ret, mbStates, mbActions, mbLogp, mbAdv, mbRet, prod;
    final NetRegions actor, critic;
    final int workLength;

    Regions(ParamLayout l, int t, int epochs) {
      this.h = l.hidden();
      this.size = l.size();
      this.t = t;
      this.epochs = epochs;
      Slices io = new Slices();
      params = io.take(size);
      m = io.take(size);
      v = io.take(size);
      metrics = io.take(KernelAbi.METRIC_COUNT);
      scalars = io.take(KernelAbi.SCALAR_COUNT);
      stats = io.take(KernelAbi.STEP_STATS);
      states = io.take(t * STATE_DIM);
      actions = io.take(t * ACTION_DIM);
      logp = io.take(t);
      values = io.take(t);
      rewards = io.take(t);
      next = io.take(t * STATE_DIM);
      dones = io.take(t);
      order = io.take(epochs * t);
      ioLength = io.end;
      Slices w = new Slices();
      grad = w.take(size);
      vNext = w.take(t);
      adv = w.take(t);
      ret = w.take(t);
      mbStates = w.take(t * STATE_DIM);
      mbActions = w.take(t * ACTION_DIM);
      mbLogp = w.take(t);
      mbAdv = w.take(t);
      mbRet = w.take(t);
      actor = NetRegions.of(l.actor(), w, t);
      critic = NetRegions.of(l.critic(), w, t);
      prod = w.take(t * h);
      workLength = w.end;
    }

    int metric(KernelAbi.Metric which) { return metrics + which.slot(); }

    /** Floats copied back: parameters, both moments, the metric sums. */
    int downloadLength() { return metrics + KernelAbi.METRIC_COUNT; }
  }

  private void ensureBuffers(Regions r) {
    if (io == null || io.floats() < r.ioLength || at.size != r.size) {
      if (io != null) io.close();
      io = runner.allocate(r.ioLength);
      staging = new float[r.ioLength];
      stateOnDevice = false;
    }
    if (work == null || work.floats() < r.workLength) {
      if (work != null) work.close();
      work = runner.allocate(r.workLength);
    }
    at = r;
  }

  private UpdateMetrics run(PolicyParams params, AdamState adam, RolloutBatch b, Hyperparameters hp, Path path) {
    ParamLayout l = params.layout();
    int t = b.size();
    ensureBuffers(new Regions(l, t, hp.epochs()));
    Regions r = at;
    // The online learner hands back the arrays the last update filled: then only the batch crosses.
    int p = r.size;
    boolean skipState = stateOnDevice && Arrays.equals(params.data(), 0, p, staging, 0, p)
        && Arrays.equals(adam.expAvg(), 0, p, staging, r.m, r.m + p)
        && Arrays.equals(adam.expAvgSq(), 0, p, staging, r.v, r.v + p);
    stateOnDevice = false; // until this update's results are back
    stage(params, adam, b, hp, r);
    int from = skipState ? r.metrics : 0;
    runner.upload(staging, from, io.at(from), r.ioLength - from);

    KernelAbi.PpoConsts consts = KernelAbi.PpoConsts.of(hp, t, adam.step());
    if (path == Path.FUSED) {
      kernels.ppoUpdateFused(l, consts, io.at(r.params), io.at(r.m), io.at(r.v), io.at(r.metrics), io.at(r.scalars),
          io.at(r.stats), io.at(r.states), io.at(r.actions), io.at(r.logp), io.at(r.values), io.at(r.rewards),
          io.at(r.next), io.at(r.dones), io.at(r.order), work.at(r.grad), work.at(r.vNext), work.at(r.adv),
          work.at(r.ret));
    } else {
      new Layered(l, r, consts, path == Path.LAYERED_GEMM).update(t, hp);
    }

    runner.download(io.at(0), staging, 0, r.downloadLength());
    float[] s = staging;
    if (s[r.metric(Metric.ERROR)] != 0f)
      throw new KernelException("kernel ppo_update_fused: refused shapes T " + t + ", H " + l.hidden() + ", minibatch "
          + hp.minibatchFor(t));
    System.arraycopy(s, r.params, params.data(), 0, p);
    System.arraycopy(s, r.m, adam.expAvg(), 0, p);
    System.arraycopy(s, r.v, adam.expAvgSq(), 0, p);
    int steps = Math.round(s[r.metric(Metric.STEPS)]), skipped = Math.round(s[r.metric(Metric.SKIPPED)]);
    adam.setStep(adam.step() + steps - skipped);
    stateOnDevice = true;
    double done = Math.max(1, steps - skipped);
    double[] std = new double[ACTION_DIM];
    for (int d = 0; d < ACTION_DIM; d++) std[d] = Math.exp(params.data()[l.logStd.offset() + d]);
    return new UpdateMetrics(s[r.metric(Metric.POLICY)] / done, s[r.metric(Metric.VALUE)] / done,
        s[r.metric(Metric.ENTROPY)] / done, s[r.metric(Metric.KL)] / done, s[r.metric(Metric.CLIP)] / done,
        s[r.metric(Metric.EXPLAINED_VAR)], std, s[r.metric(Metric.GRAD_NORM)] / done, steps, skipped, t);
  }

  /** Packs everything the update reads into the staging array, laid out as {@link Regions}. */
  private void stage(PolicyParams params, AdamState adam, RolloutBatch b, Hyperparameters hp, Regions r) {
    float[] s = staging;
    int p = r.size, t = r.t;
    System.arraycopy(params.data(), 0, s, r.params, p);
    System.arraycopy(adam.expAvg(), 0, s, r.m, p);
    System.arraycopy(adam.expAvgSq(), 0, s, r.v, p);
    Arrays.fill(s, r.metrics, r.states, 0f);
    System.arraycopy(b.states(), 0, s, r.states, t * STATE_DIM);
    System.arraycopy(b.actions(), 0, s, r.actions, t * ACTION_DIM);
    System.arraycopy(b.logProbs(), 0, s, r.logp, t);
    System.arraycopy(b.values(), 0, s, r.values, t);
    System.arraycopy(b.rewards(), 0, s, r.rewards, t);
    System.arraycopy(b.nextStates(), 0, s, r.next, t * STATE_DIM);
    System.arraycopy(b.dones(), 0, s, r.dones, t);
    // Row orders of every epoch, as the CPU backend draws them; ints travel as their bit patterns.
    int[] order = new int[t];
    for (int i = 0; i < t; i++) order[i] = i;
    SplittableRandom shuffler = CpuBackend.shuffler(hp, adam.step());
    for (int e = 0; e < hp.epochs(); e++) {
      if (shuffler != null) CpuBackend.shuffle(order, t, shuffler);
      for (int i = 0; i < t; i++) s[r.order + e * t + i] = Float.intBitsToFloat(order[i]);
    }
  }

  /**
   * The layered path: one launch per layer and phase, walking the layers of {@link ParamLayout}, with
   * the same device functions as the fused kernel.
   */
  private final class Layered {
    private final ParamLayout l;
    private final Regions r;
    private final KernelAbi.PpoConsts consts;
    private final boolean gemm;

    Layered(ParamLayout l, Regions r, KernelAbi.PpoConsts consts, boolean gemm) {
      this.l = l;
      this.r = r;
      this.consts = consts;
      this.gemm = gemm;
      // What the kernels assume of the networks: ReLU between layers (the input gradient is masked by
      // the layer's own output), the Sigmoid of the actor's mean folded into the loss's gradient.
      requireActivations(r.actor, ParamLayout.Activation.SIGMOID);
      requireActivations(r.critic, ParamLayout.Activation.NONE);
    }

    private static void requireActivations(NetRegions net, ParamLayout.Activation last) {
      for (int i = 0; i < net.layers().size(); i++) {
        ParamLayout.Activation want = i == net.layers().size() - 1 ? last : ParamLayout.Activation.RELU;
        if (net.layers().get(i).act() != want)
          throw new IllegalStateException("the CUDA kernels take " + want + " after layer " + i + " of this network, not "
              + net.layers().get(i).act() + " (see loss.cu and linear.cu)");
      }
    }

    private DevicePtr param(int off) { return io.at(off); }
    private DevicePtr grad(int off) { return work.at(r.grad + off); }
    private DevicePtr w(int off) { return work.at(off); }

    void update(int t, Hyperparameters hp) {
      // 1-3: bootstrap values through the critic, then GAE, explained variance, normalisation
      forward(r.critic, io.at(r.next), t, w(r.vNext));
      kernels.gae(t, io.at(r.rewards), io.at(r.values), w(r.vNext), io.at(r.dones), consts, w(r.adv), w(r.ret),
          io.at(r.metrics));
      int mb = hp.minibatchFor(t);
      for (int e = 0; e < hp.epochs(); e++)
        for (int start = 0; start < t; start += mb) step(e, start, Math.min(mb, t - start), t);
    }

    private void step(int epoch, int start, int n, int t) {
      kernels.gatherMinibatch(io.at(r.order + epoch * t), start, n, io.at(r.states), io.at(r.actions),
          io.at(r.logp), w(r.adv), w(r.ret), w(r.mbStates), w(r.mbActions), w(r.mbLogp), w(r.mbAdv), w(r.mbRet));
      forward(r.actor, w(r.mbStates), n, w(r.actor.output()));
      forward(r.critic, w(r.mbStates), n, w(r.critic.output()));
      kernels.ppoLoss(n, w(r.actor.output()), param(l.logStd.offset()), w(r.mbActions), w(r.mbLogp), w(r.mbAdv),
          w(r.mbRet), w(r.critic.output()), consts, w(r.actor.dOut()), w(r.critic.dOut()), grad(l.logStd.offset()),
          io.at(r.scalars), io.at(r.stats));
      backward(r.actor, n);
      backward(r.critic, n);
      kernels.gradClipPrepare(r.size, w(r.grad), consts, io.at(r.stats), io.at(r.scalars), io.at(r.metrics));
      kernels.adamStep(r.size, io.at(r.params), io.at(r.m), io.at(r.v), w(r.grad), io.at(r.scalars), consts,
          l.logStd.offset());
    }

    /** Layers between two hidden ones (H x H) are the ones worth a GEMM. */
    private boolean blas(NetRegions net, int i) {
      return gemm && i > 0 && i < net.layers().size() - 1;
    }

    /** x [n, in] through the network into y [n, out]; each hidden output kept in the net's regions. */
    private void forward(NetRegions net, DevicePtr x, int n, DevicePtr y) {
      DevicePtr in = x;
      for (int i = 0; i < net.layers().size(); i++) {
        ParamLayout.Layer layer = net.layers().get(i);
        DevicePtr out = i == net.layers().size() - 1 ? y : w(net.out()[i]);
        linear(in, layer, out, n, blas(net, i));
        in = out;
      }
    }

    /**
     * From the loss gradient at the output (already through the Sigmoid) to every weight and bias.
     * Each input gradient overwrites the activation it is masked by, after the weight gradient that
     * reads that activation has run.
     */
    private void backward(NetRegions net, int n) {
      DevicePtr dy = w(net.dOut());
      for (int i = net.layers().size() - 1; i >= 0; i--) {
        ParamLayout.Layer layer = net.layers().get(i);
        DevicePtr x = i == 0 ? w(r.mbStates) : w(net.out()[i - 1]);
        paramsGrad(dy, x, layer, n, blas(net, i));
        if (i > 0) inputGrad(dy, layer, x, n, blas(net, i));
        dy = x;
      }
    }

    private void linear(DevicePtr x, ParamLayout.Layer layer, DevicePtr y, int n, boolean blas) {
      int in = layer.in(), out = layer.out();
      DevicePtr wt = param(layer.weight().offset()), b = param(layer.bias().offset());
      if (blas) {
        // row-major y[n,out] = x[n,in] W^T is column-major y^T = W x^T: op(A) = (W^T)^T with A = W as [in, out]
        runner.sgemm(true, false, out, n, in, 1f, wt, in, x, in, 0f, y, out);
        kernels.biasActivation(y, b, n, out, layer.act());
      } else {
        kernels.linearForward(x, wt, b, y, n, in, out, layer.act());
      }
    }

    private void paramsGrad(DevicePtr dy, DevicePtr x, ParamLayout.Layer layer, int n, boolean blas) {
      int in = layer.in(), out = layer.out();
      DevicePtr dw = grad(layer.weight().offset()), db = grad(layer.bias().offset());
      if (blas) {
        // dW[out,in] = dy^T x, column-major dW^T = x^T dy
        runner.sgemm(false, true, in, out, n, 1f, x, in, dy, out, 0f, dw, in);
        kernels.biasGrad(dy, db, n, out);
      } else {
        kernels.linearBackwardParams(dy, x, dw, db, n, in, out);
      }
    }

    /** dx = (dy W) masked by the ReLU output x, written over x. */
    private void inputGrad(DevicePtr dy, ParamLayout.Layer layer, DevicePtr x, int n, boolean blas) {
      int in = layer.in(), out = layer.out();
      DevicePtr wt = param(layer.weight().offset());
      if (blas) {
        // dx[n,in] = dy[n,out] W[out,in], column-major dx^T = W^T dy^T
        runner.sgemm(false, false, in, n, out, 1f, wt, in, dy, out, 0f, w(r.prod), in);
        kernels.reluMask(w(r.prod), x, x, n * in);
      } else {
        kernels.linearBackwardInput(dy, wt, x, x, n, in, out);
      }
    }
  }

  @Override
  public void close() {
    runner.close();
  }
}
