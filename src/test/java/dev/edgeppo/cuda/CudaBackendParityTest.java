package dev.edgeppo.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.ppo.AdamState;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PolicyParams;
import dev.edgeppo.ppo.RolloutBatch;
import dev.edgeppo.ppo.UpdateMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The host-built kernels against the CPU backend (the readable reference of docs/ppo-update.md) on
 * seeded random batches: every path (fused, layered, layered with the GEMM), batch and minibatch
 * shapes on both sides of the fused kernel's limits, shuffling, dones, and Adam state carried over
 * three consecutive updates (the second reuses the device's copy of the state, the third must not:
 * the state was changed in between). The PyTorch fixtures are checked in {@link CudaHostFixtureTest}.
 */
class CudaBackendParityTest {
  /** Same tolerance as the fixtures: float32 sums in a different order. */
  static final double TOL = 2e-5;

  record Case(String name, int t, int h, int minibatch, boolean normalize, boolean shuffle, int epochs) {
    @Override
    public String toString() { return name; }
  }

  static Stream<Arguments> cases() {
    List<Case> cs = List.of(
        new Case("online T32 H64", 32, 64, 0, true, false, 4),
        new Case("single row", 1, 8, 0, true, false, 2),
        new Case("T45 minibatch 16 shuffled", 45, 16, 16, true, true, 3),
        new Case("T20 H8 unnormalised", 20, 8, 0, false, false, 2),
        new Case("T100 H32 minibatch 32", 100, 32, 32, true, false, 2),
        new Case("T300 H24 whole batch", 300, 24, 0, true, false, 1));
    List<Arguments> out = new ArrayList<>();
    for (Case c : cs)
      for (CudaBackend.Path p : CudaBackend.Path.values())
        if (p != CudaBackend.Path.FUSED || CudaBackend.fusedFits(c.t, c.h, c.minibatch == 0 ? c.t : c.minibatch))
          out.add(Arguments.of(c, p));
    return out.stream();
  }

  @ParameterizedTest(name = "{0} via {1}")
  @MethodSource("cases")
  void matchesCpuBackendOverThreeUpdates(Case c, CudaBackend.Path path) {
    check(c, path, () -> CudaBackend.onHost(path));
  }

  /** Three consecutive updates on the CPU backend and on {@code backend}, compared after each. */
  static void check(Case c, CudaBackend.Path path, java.util.function.Supplier<CudaBackend> backend) {
    Hyperparameters hp = hyper(c);
    PolicyParams ref = PolicyParams.initialise(c.h, 0.3, 11 + c.t);
    PolicyParams got = ref.copy();
    AdamState refAdam = new AdamState(ref.layout()), gotAdam = new AdamState(got.layout());
    SplittableRandom rng = new SplittableRandom(c.t * 31L + c.h);
    try (CpuBackend cpu = new CpuBackend(); CudaBackend host = backend.get()) {
      assertEquals(path, host.pathFor(c.t, c.h, hp));
      for (int u = 0; u < 3; u++) {
        if (u == 2) {
          // changed behind the backend's back (a checkpoint load, say): the device copy must not be reused
          ref.data()[1] += 0.25f;
          got.data()[1] += 0.25f;
          refAdam.expAvgSq()[2] += 1e-4f;
          gotAdam.expAvgSq()[2] += 1e-4f;
        }
        RolloutBatch b = randomBatch(c.t, rng);
        UpdateMetrics want = cpu.update(ref, refAdam, b, hp);
        UpdateMetrics have = host.update(got, gotAdam, b, hp);
        String where = c + " via " + path + ", update " + u;
        assertClose(ref.data(), got.data(), where + ": parameters");
        assertClose(refAdam.expAvg(), gotAdam.expAvg(), where + ": exp_avg");
        assertClose(refAdam.expAvgSq(), gotAdam.expAvgSq(), where + ": exp_avg_sq");
        assertEquals(refAdam.step(), gotAdam.step(), where + ": Adam step");
        assertMetrics(want, have, where);
      }
    }
  }

  @org.junit.jupiter.api.Test
  void oneBackendFollowsBatchesThatGrowAndShrinkAcrossPaths() {
    int h = 32;
    PolicyParams ref = PolicyParams.initialise(h, 0.3, 3);
    PolicyParams got = ref.copy();
    AdamState refAdam = new AdamState(ref.layout()), gotAdam = new AdamState(got.layout());
    SplittableRandom rng = new SplittableRandom(9);
    try (CpuBackend cpu = new CpuBackend(); CudaBackend host = CudaBackend.onHost()) {
      for (int t : new int[] {8, 300, 32}) { // fused, then reallocated for the GEMM path, then fused again
        Hyperparameters hp = Hyperparameters.defaults().withHidden(h).withBatchSize(t);
        RolloutBatch b = randomBatch(t, rng);
        UpdateMetrics want = cpu.update(ref, refAdam, b, hp);
        UpdateMetrics have = host.update(got, gotAdam, b, hp);
        String where = "T " + t + " via " + host.pathFor(t, h, hp);
        assertClose(ref.data(), got.data(), where + ": parameters");
        assertClose(refAdam.expAvg(), gotAdam.expAvg(), where + ": exp_avg");
        assertClose(refAdam.expAvgSq(), gotAdam.expAvgSq(), where + ": exp_avg_sq");
        assertEquals(refAdam.step(), gotAdam.step(), where + ": Adam step");
        assertMetrics(want, have, where);
      }
    }
  }

  static Hyperparameters hyper(Case c) {
    Hyperparameters d = Hyperparameters.defaults();
    return new Hyperparameters(d.gamma(), d.gaeLambda(), d.clipEpsilon(), c.epochs, c.minibatch, 3e-3, d.valueCoef(),
        d.entropyCoef(), d.maxGradNorm(), d.adamEps(), c.normalize, c.t, c.h, d.initialStd(), c.shuffle);
  }

  /** Actions spread enough that ratios leave [1-eps, 1+eps] after the first step, so clipping is exercised. */
  static RolloutBatch randomBatch(int t, SplittableRandom r) {
    RolloutBatch b = RolloutBatch.allocate(t);
    for (int i = 0; i < b.states().length; i++) {
      b.states()[i] = (float) r.nextDouble();
      b.nextStates()[i] = (float) r.nextDouble();
    }
    for (int i = 0; i < b.actions().length; i++) b.actions()[i] = (float) r.nextDouble(-0.2, 1.2);
    for (int i = 0; i < t; i++) {
      b.logProbs()[i] = (float) r.nextDouble(-1.5, 1.0);
      b.values()[i] = (float) r.nextDouble(-1, 1);
      b.rewards()[i] = (float) r.nextDouble(-1, 2);
      b.dones()[i] = r.nextDouble() < 0.1 ? 1f : 0f;
    }
    return b;
  }

  static void assertClose(float[] want, float[] have, String what) {
    assertEquals(want.length, have.length, what + ": length");
    int bad = -1;
    double worst = 0;
    for (int i = 0; i < want.length; i++) {
      double err = Math.abs((double) want[i] - have[i]) / Math.max(1.0, Math.abs(want[i]));
      if (!(err <= TOL) && (bad < 0 || err > worst)) {
        bad = i;
        worst = err;
      }
    }
    if (bad >= 0)
      throw new AssertionError(what + ": index " + bad + " expected " + want[bad] + " got " + have[bad]
          + " (error " + worst + " > " + TOL + ")");
  }

  static void assertMetrics(UpdateMetrics want, UpdateMetrics have, String where) {
    assertEquals(want.steps(), have.steps(), where + ": steps");
    assertEquals(want.skippedSteps(), have.skippedSteps(), where + ": skipped steps");
    assertEquals(want.batchSize(), have.batchSize(), where + ": batch size");
    double[][] pairs = {
        {want.policyLoss(), have.policyLoss()}, {want.valueLoss(), have.valueLoss()},
        {want.entropy(), have.entropy()}, {want.approxKl(), have.approxKl()},
        {want.clipFraction(), have.clipFraction()}, {want.explainedVariance(), have.explainedVariance()},
        {want.gradNorm(), have.gradNorm()}, {want.std()[0], have.std()[0]}, {want.std()[1], have.std()[1]}};
    String[] names = {"policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction", "explained_variance",
        "grad_norm", "std[0]", "std[1]"};
    for (int i = 0; i < pairs.length; i++)
      assertTrue(Math.abs(pairs[i][0] - pairs[i][1]) <= 1e-4 * Math.max(1, Math.abs(pairs[i][0])),
          where + ": " + names[i] + " expected " + pairs[i][0] + " got " + pairs[i][1]);
  }
}
