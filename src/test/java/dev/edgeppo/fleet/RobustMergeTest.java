package dev.edgeppo.fleet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RobustMergeTest {
  static RobustMerge.Contribution c(double w, float... p) { return new RobustMerge.Contribution(p, w); }

  @Test
  void refusesWhatCannotBeMerged() {
    assertThrows(IllegalArgumentException.class, () -> RobustMerge.merge(List.of()));
    assertThrows(IllegalArgumentException.class, () -> RobustMerge.merge(List.of(c(1, 1, 2), c(1, 1))));
    assertThrows(IllegalArgumentException.class, () -> RobustMerge.merge(List.of(c(0, 1), c(1, 1))));
    assertThrows(IllegalArgumentException.class, () -> RobustMerge.merge(List.of(c(Double.NaN, 1), c(1, 1))));
  }

  @Test
  void onePolicyOrEqualPoliciesComeBackAsTheyAre() {
    assertArrayEquals(new float[] {1, -2}, RobustMerge.merge(List.of(c(5, 1, -2))).params());
    assertArrayEquals(new float[] {1, -2}, RobustMerge.merge(List.of(c(5, 1, -2), c(1, 1, -2), c(3, 1, -2))).params());
  }

  @Test
  void honestPoliciesOfEqualSpreadAreTheirWeightedMean() {
    // Offsets from the median (0, 0) of (2, 0), (-2, 0), (0, 2), (0, -2) are all of length 2: none is clipped,
    // and the result is the weighted mean.
    RobustMerge.Result r = RobustMerge.merge(List.of(c(3, 2, 0), c(1, -2, 0), c(1, 0, 2), c(1, 0, -2)));
    assertEquals(0, r.clipped());
    assertArrayEquals(new float[] {(3 * 2 - 2) / 6f, 0}, r.params(), 1e-6f);
  }

  @Test
  void oneWildPolicyMovesTheResultNoFurtherThanATypicalOne() {
    SplittableRandom rnd = new SplittableRandom(1);
    List<RobustMerge.Contribution> cs = new ArrayList<>();
    int n = 50;
    for (int i = 0; i < 7; i++) {
      float[] p = new float[n];
      for (int j = 0; j < n; j++) p[j] = (float) (1 + 0.01 * rnd.nextGaussian());
      cs.add(c(32, p));
    }
    float[] wild = new float[n];
    java.util.Arrays.fill(wild, -1e6f);
    // It also claims a thousand times the others' experience: its weight is capped at 4× the median.
    cs.add(c(32_000, wild));
    RobustMerge.Result r = RobustMerge.merge(cs);
    // τ is the median offset length: the wild one is clipped to it (and so are the honest ones above the median).
    assertTrue(r.clipped() >= 1);
    // Its pull is at most its capped share (4 / (7 + 4)) of τ, the typical offset length (~0.07 here).
    double moved = 0;
    for (int j = 0; j < n; j++) moved += (r.params()[j] - 1.0) * (r.params()[j] - 1.0);
    assertTrue(Math.sqrt(moved) <= 4.0 / 11 * r.tau() + 0.05, "moved " + Math.sqrt(moved) + ", tau " + r.tau());
  }
}
