package dev.edgeppo.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The two profiles, how partial sets merge over them, and what a fresh policy of each looks like. */
class HyperparametersProfileTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /** SPEC §2's list of the seed's values, read against the seed profile one by one. */
  @Test
  void theSeedProfileIsSpecsValues() {
    Hyperparameters s = Hyperparameters.profile("seed");
    assertEquals(Hyperparameters.defaults(), s);
    assertEquals(0.99, s.gamma());
    assertEquals(0.95, s.gaeLambda());
    assertEquals(0.2, s.clipEpsilon());
    assertEquals(4, s.epochs());
    assertEquals(32, s.batchSize());
    assertEquals(3e-4, s.learningRate());
    assertEquals(0.5, s.valueCoef());
    assertEquals(0.01, s.entropyCoef());
    assertEquals(0.5, s.maxGradNorm());
    assertEquals(1e-8, s.adamEps());
    assertTrue(s.normalizeAdvantages());
    assertEquals(0.3, s.initialStd());
    assertEquals(0, s.minibatchSize());
    assertEquals(ActionMapping.SEED, s.actionMapping());
  }

  @Test
  void servingIsTheEdgeProfile() {
    Hyperparameters e = Hyperparameters.serving();
    assertEquals("edge", e.profile());
    assertEquals(ActionMapping.RELATIVE, e.actionMapping());
    assertNotEquals(Hyperparameters.defaults(), e);
  }

  /** Case files name no profile: they merge over the seed's values, so parity never depends on serve's defaults. */
  @Test
  void aPartialSetMergesOverTheProfileItNames() {
    Hyperparameters a = Hyperparameters.withOverrides(JSON.createObjectNode().put("epochs", 7));
    assertEquals(Hyperparameters.defaults().with(JSON.createObjectNode().put("epochs", 7)), a);
    Hyperparameters b = Hyperparameters.withOverrides(JSON.createObjectNode().put("profile", "edge").put("epochs", 7));
    assertEquals(Hyperparameters.serving().gamma(), b.gamma());
    assertEquals(7, b.epochs());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Hyperparameters.withOverrides(JSON.createObjectNode().put("profile", "fast")));
    assertTrue(e.getMessage().contains("profile must be one of [edge, seed]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Hyperparameters.withOverrides(JSON.createObjectNode().put("initial_mean_cores", 1.0)));
    assertTrue(e.getMessage().contains("initial_mean_cores"), e.getMessage());
  }

  /** What a hyperparameter set serialises to reads back as itself (checkpoints and /v1/policy carry it). */
  @Test
  void roundTripsThroughJson() throws Exception {
    for (String p : Hyperparameters.profiles()) {
      Hyperparameters h = Hyperparameters.profile(p);
      assertEquals(h, Hyperparameters.withOverrides(JSON.readTree(JSON.writeValueAsString(h))));
    }
  }

  /** A fresh policy's mean is the profile's initial mean for any state (the output layer starts near zero). */
  @Test
  void aFreshPolicyStartsAtItsInitialMeanAndStd() {
    for (String p : Hyperparameters.profiles()) {
      Hyperparameters h = Hyperparameters.profile(p);
      Policy pol = new Policy(PolicyParams.initialise(h, 3), 0);
      SplittableRandom r = new SplittableRandom(1);
      for (int i = 0; i < 200; i++) {
        float[] s = new float[ParamLayout.STATE_DIM];
        for (int d = 0; d < s.length; d++) s[d] = (float) r.nextDouble();
        float[] m = pol.mean(s);
        assertEquals(h.initialMeanCores(), m[0], 0.01, p);
        assertEquals(h.initialMeanMemory(), m[1], 0.01, p);
      }
      assertEquals(h.initialStd(), pol.std()[0], 1e-6);
      assertEquals(h.initialStdMemory(), pol.std()[1], 1e-6);
    }
  }
}
