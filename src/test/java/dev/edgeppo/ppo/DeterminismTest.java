package dev.edgeppo.ppo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The same update from the same state gives the same bits however often it runs, so before and after
 * the JIT compiles the Vector API code (its interpreted fallback and compiled form must agree).
 */
class DeterminismTest {
  @Test
  void repeatedUpdatesAreBitIdenticalAcrossJitTiers() {
    int h = 64, t = 32;
    Hyperparameters hp = Hyperparameters.defaults().withHidden(h);
    PolicyParams start = PolicyParams.initialise(h, 0.3, 9);
    RolloutBatch b = RolloutBatch.allocate(t);
    SplittableRandom r = new SplittableRandom(4);
    for (int i = 0; i < b.states().length; i++) { b.states()[i] = (float) r.nextDouble(); b.nextStates()[i] = (float) r.nextDouble(); }
    for (int i = 0; i < b.actions().length; i++) b.actions()[i] = (float) r.nextDouble();
    for (int i = 0; i < t; i++) { b.rewards()[i] = (float) r.nextDouble(); b.logProbs()[i] = (float) (r.nextDouble() - 1); }
    CpuBackend cpu = new CpuBackend();
    float[] first = null;
    for (int run = 0; run < 3000; run++) {
      PolicyParams p = start.copy();
      cpu.update(p, new AdamState(p.layout()), b, hp);
      if (first == null) first = p.data();
      else if (run % 100 == 0 || run == 2999) assertArrayEquals(first, p.data(), "run " + run + " differs from the first");
    }
  }
}
