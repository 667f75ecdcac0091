package dev.edgeppo.ppo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReproducibilityTest {
  /** Acts and learns for a few batches; returns the final parameters and the actions taken. */
  private static float[][] run(long seed) {
    Hyperparameters hp = Hyperparameters.defaults().withHidden(16);
    PpoLearner l = PpoLearner.fresh(hp, new CpuBackend(), seed);
    SplittableRandom env = new SplittableRandom(99), act = new SplittableRandom(seed);
    float[] actions = new float[3 * 32 * 2];
    for (int u = 0; u < 3; u++) {
      RolloutBatch b = RolloutBatch.allocate(32);
      for (int i = 0; i < 32; i++) {
        float[] s = new float[5];
        for (int k = 0; k < 5; k++) s[k] = (float) env.nextDouble();
        Policy.Decision d = l.policy().act(s, true, act);
        System.arraycopy(s, 0, b.states(), i * 5, 5);
        System.arraycopy(s, 0, b.nextStates(), i * 5, 5);
        System.arraycopy(d.action(), 0, b.actions(), i * 2, 2);
        System.arraycopy(d.action(), 0, actions, (u * 32 + i) * 2, 2);
        b.logProbs()[i] = d.logProb();
        b.values()[i] = d.value();
        b.rewards()[i] = 1f - Math.abs(d.action()[0] - s[0]); // reward tracking the first state feature
      }
      l.update(b);
    }
    return new float[][] {l.snapshot().params().data(), actions};
  }

  @Test
  void sameSeedSameActionsAndParameters() {
    float[][] a = run(5), b = run(5), c = run(6);
    assertArrayEquals(a[0], b[0]);
    assertArrayEquals(a[1], b[1]);
    assertFalse(Arrays.equals(a[0], c[0]), "another seed gives another network");
  }

  @Test
  void initialisationFollowsSpec() {
    PolicyParams p = PolicyParams.initialise(64, 0.3, 1);
    ParamLayout l = p.layout();
    assertEquals((float) Math.log(0.3), p.data()[l.logStd.offset()]);
    for (ParamLayout.Tensor t : l.tensors())
      if (t.name().endsWith("bias")) for (float v : p.tensorCopy(t.name())) assertEquals(0f, v, t.name());
    // Orthogonal with gain g: W W^T = g^2 I for the wide [2, H] actor head (rows orthonormal times 0.01).
    float[] w = p.tensorCopy("actor.4.weight");
    double d00 = 0, d01 = 0;
    for (int k = 0; k < 64; k++) { d00 += w[k] * w[k]; d01 += w[k] * w[64 + k]; }
    assertEquals(1e-4, d00, 1e-8);
    assertEquals(0, d01, 1e-8);
    // Square hidden layer: W^T W = 2 I.
    float[] h = p.tensorCopy("actor.2.weight");
    double c00 = 0, c01 = 0;
    for (int r = 0; r < 64; r++) { c00 += h[r * 64] * h[r * 64]; c01 += h[r * 64] * h[r * 64 + 1]; }
    assertEquals(2.0, c00, 1e-4);
    assertEquals(0.0, c01, 1e-4);
  }

  @Test
  void logStdStaysWithinItsBoundsUnderPressure() {
    // A huge entropy bonus pushes log_std up every step; the clamp holds it at 0 (std 1).
    Hyperparameters hp = Hyperparameters.withOverrides(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
        .put("entropy_coef", 100.0).put("learning_rate", 0.1).put("hidden", 8));
    PpoLearner l = PpoLearner.fresh(hp, new CpuBackend(), 3);
    RolloutBatch b = RolloutBatch.allocate(32);
    for (int i = 0; i < 32; i++) b.rewards()[i] = i % 2;
    for (int u = 0; u < 5; u++) l.update(b);
    float[] std = l.policy().std();
    assertEquals(1f, std[0], 1e-6f);
    assertEquals(1f, std[1], 1e-6f);
    assertTrue(l.snapshot().params().allFinite());
  }
}
