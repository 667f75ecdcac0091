package dev.edgeppo.ppo;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one comparison helper of the parity tests (every backend uses it): compares tensors element
 * by element against a reference, skips nothing silently (a non-finite reference fails too), and on
 * failure reports the first mismatches and the largest error with where it was.
 */
public final class ParityAssert {
  private ParityAssert() {}

  /** Parameters after one update: 2e-5 absolute, the bound for float32 against PyTorch. */
  public static final double PARAM_TOL = 2e-5;

  public static void assertTensorsClose(String what, Map<String, float[]> expected, PolicyParams actual, double tol) {
    List<String> bad = new ArrayList<>();
    double worst = 0;
    String worstAt = "";
    int compared = 0;
    for (var e : expected.entrySet()) {
      float[] want = e.getValue(), got = actual.tensorCopy(e.getKey());
      if (want.length != got.length) throw new AssertionError(what + ": " + e.getKey() + " has " + got.length + " values, reference " + want.length);
      for (int i = 0; i < want.length; i++) {
        if (!Float.isFinite(want[i])) throw new AssertionError(what + ": reference " + e.getKey() + "[" + i + "] is not finite");
        double err = Math.abs((double) want[i] - got[i]);
        if (!(err <= tol)) {
          if (bad.size() < 5) bad.add(String.format("%s[%d]: got %.8g, reference %.8g (error %.3g)", e.getKey(), i, got[i], want[i], err));
        }
        if (!(err <= worst)) {
          worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
          worstAt = e.getKey() + "[" + i + "]";
        }
        compared++;
      }
    }
    if (compared == 0) throw new AssertionError(what + ": nothing to compare");
    if (!bad.isEmpty())
      throw new AssertionError(String.format("%s: largest error %.3g at %s (tolerance %.1g); first mismatches:%n  %s",
          what, worst, worstAt, tol, String.join("\n  ", bad)));
  }

  public static void assertClose(String what, double expected, double actual, double absTol, double relTol) {
    double err = Math.abs(expected - actual);
    if (!(err <= absTol + relTol * Math.abs(expected)))
      throw new AssertionError(String.format("%s: got %.8g, reference %.8g (error %.3g)", what, actual, expected, err));
  }
}
