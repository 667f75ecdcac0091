package dev.edgeppo.ppo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Policy reuses one state's layer buffers per platform thread: what a call returns is its own (a later call
 * does not change it), and a platform thread, a virtual thread and a fresh policy compute the same numbers.
 */
class PolicyScratchTest {
  @Test
  void answersAreNotOverwrittenAndAgreeAcrossThreads() throws Exception {
    Policy p = new Policy(PolicyParams.initialise(Hyperparameters.defaults(), 5), 0);
    float[] s1 = {0.1f, 0.9f, 0.3f, 0.5f, 0.2f}, s2 = {0.8f, 0.1f, 0.7f, 0.0f, 0.9f};
    Policy.Decision d1 = p.act(s1, false, new SplittableRandom(1));
    float[] mean1 = d1.mean().clone(), action1 = d1.action().clone();
    float[] m1 = p.mean(s1);
    Policy.Decision d2 = p.act(s2, false, new SplittableRandom(1));
    p.mean(s2);
    assertArrayEquals(mean1, d1.mean());
    assertArrayEquals(action1, d1.action());
    assertArrayEquals(mean1, m1);
    float[][] onVirtual = new float[2][];
    float[] vValue = new float[1];
    Thread.ofVirtual().start(() -> {
      onVirtual[0] = p.mean(s1);
      onVirtual[1] = p.mean(s2);
      vValue[0] = p.value(s2);
    }).join();
    assertArrayEquals(mean1, onVirtual[0]);
    assertArrayEquals(d2.mean(), onVirtual[1]);
    assertEquals(d2.value(), vValue[0]);
    Policy fresh = new Policy(PolicyParams.initialise(Hyperparameters.defaults(), 5), 0);
    assertArrayEquals(d2.mean(), fresh.mean(s2));
    assertEquals(d1.value(), fresh.value(s1));
  }
}
