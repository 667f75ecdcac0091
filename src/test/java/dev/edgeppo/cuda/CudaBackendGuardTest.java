package dev.edgeppo.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.ppo.AdamState;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.ParamLayout;
import dev.edgeppo.ppo.PolicyParams;
import dev.edgeppo.ppo.RolloutBatch;
import dev.edgeppo.ppo.UpdateMetrics;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** The non-finite guard and refused input on cuda-host: nothing changes, and the reason is said. */
class CudaBackendGuardTest {
  static final Hyperparameters HP = Hyperparameters.defaults().withHidden(16).withBatchSize(24);

  @ParameterizedTest
  @EnumSource(CudaBackend.Path.class)
  void nonFiniteLossSkipsEveryStepAndChangesNothing(CudaBackend.Path path) {
    PolicyParams p = PolicyParams.initialise(16, 0.3, 5);
    ParamLayout l = p.layout();
    p.data()[l.tensor("critic.4.bias").offset()] = Float.NaN; // every value, so every loss, is NaN
    PolicyParams before = p.copy();
    AdamState adam = new AdamState(l);
    adam.setStep(7);
    RolloutBatch b = CudaBackendParityTest.randomBatch(24, new SplittableRandom(3));
    UpdateMetrics want;
    try (CpuBackend cpu = new CpuBackend()) {
      want = cpu.update(p.copy(), new AdamState(l), b, HP);
    }
    UpdateMetrics got;
    try (CudaBackend host = CudaBackend.onHost(path)) {
      got = host.update(p, adam, b, HP);
    }
    assertEquals(want.steps(), got.steps());
    assertEquals(want.steps(), got.skippedSteps(), "every step skipped");
    assertEquals(want.skippedSteps(), got.skippedSteps());
    assertArrayEquals(bits(before.data()), bits(p.data()), "parameters untouched");
    assertEquals(7, adam.step(), "Adam's step count not advanced");
    assertArrayEquals(new float[l.size()], adam.expAvg());
    assertArrayEquals(new float[l.size()], adam.expAvgSq());
  }

  @Test
  void fusedPathRefusesShapesBeyondItsSharedMemoryAndChangesNothing() {
    Hyperparameters hp = Hyperparameters.defaults().withHidden(65).withBatchSize(8);
    PolicyParams p = PolicyParams.initialise(65, 0.3, 5);
    PolicyParams before = p.copy();
    AdamState adam = new AdamState(p.layout());
    try (CudaBackend host = CudaBackend.onHost(CudaBackend.Path.FUSED)) {
      var e = assertThrows(IllegalArgumentException.class,
          () -> host.update(p, adam, CudaBackendParityTest.randomBatch(8, new SplittableRandom(1)), hp));
      assertTrue(e.getMessage().contains("H <= 64"), e.getMessage());
    }
    assertArrayEquals(before.data(), p.data());
  }

  @Test
  void adamStateOfAnotherLayoutIsRefused() {
    PolicyParams p = PolicyParams.initialise(16, 0.3, 5);
    AdamState wrong = new AdamState(ParamLayout.of(8));
    try (CudaBackend host = CudaBackend.onHost()) {
      var e = assertThrows(IllegalArgumentException.class,
          () -> host.update(p, wrong, CudaBackendParityTest.randomBatch(4, new SplittableRandom(1)), HP));
      assertTrue(e.getMessage().contains("Adam state"), e.getMessage());
    }
  }

  @Test
  void automaticPathTakesFusedForTheOnlineBatchAndLayeredBeyond() {
    try (CudaBackend host = CudaBackend.onHost()) {
      Hyperparameters d = Hyperparameters.defaults();
      assertEquals(CudaBackend.Path.FUSED, host.pathFor(32, 64, d));
      assertEquals(CudaBackend.Path.LAYERED, host.pathFor(32, 128, d));
      assertEquals(CudaBackend.Path.LAYERED, host.pathFor(200, 64, d));
      assertEquals(CudaBackend.Path.LAYERED_GEMM, host.pathFor(2048, 64, d));
    }
  }

  private static int[] bits(float[] a) {
    int[] b = new int[a.length];
    for (int i = 0; i < a.length; i++) b[i] = Float.floatToRawIntBits(a[i]);
    return b;
  }
}
