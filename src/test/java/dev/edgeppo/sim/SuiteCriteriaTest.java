package dev.edgeppo.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.ppo.Hyperparameters;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SPEC §6 at reduced size: a fresh agent with serve's defaults, learning through the node's pod observer, on
 * every scenario of the suite and both arrival shapes (one seed, scored at 1,000 and 3,000 feedbacks on 400
 * arrivals a point; docs/learning.md has the full suite): untrained within 0.05 of grant_requested, train-mode
 * mean within 0.10 of it over the first 1,000 and over 3,000 feedbacks, no policy above the hindsight
 * reference and the hindsight reference never above the proven bound. Two criteria of SPEC §6 are held to what
 * was measured (they may only get better) rather than asserted: the infer-mode margin at 1,000 where granting
 * less pays (met in all 48 cells of the full suite with 30 epochs, docs/learning.md; this reduced run, scored
 * on 400 arrivals, leaves bursty/synthetic seed 1, whose reference is just 0.075 ahead, at +0.016) and the
 * median share of the hindsight reference's headroom at 3,000 (not met, issue 19 open). The test prints them,
 * and the state-limited reference's medians beside them; that reference is never below grant_requested nor
 * fixed_fraction in any cell, the two tables its search starts from (each policy scored by its own run).
 */
class SuiteCriteriaTest {
  static Suite.Result run(Hyperparameters hp, List<UsageModel> scenarios, List<Integer> checkpoints, int eval) throws Exception {
    return Suite.run(new Suite.Config(scenarios, Suite.ARRIVALS, List.of(1L), checkpoints, eval, hp, "cpu", 0.5, 2.0,
        TraceReplay.excerpt(), 2), (d, t) -> {});
  }

  @Test
  void serveDefaultsMeetSpec6OnEveryScenario() throws Exception {
    Suite.Result r = run(Hyperparameters.serving(), List.of(UsageModel.values()), List.of(Suite.FIRST_STRETCH, Suite.LEARNING_STRETCH), 400);
    List<Suite.Failure> f = Suite.failing(r);
    f.forEach(x -> System.out.println("SuiteCriteriaTest: " + x.criterion() + ": " + x.message()));
    // Every cell, the shift's included (here at 1,500 feedbacks), learning from the observer's verdicts.
    for (Suite.Criterion c : List.of(Suite.Criterion.UNTRAINED, Suite.Criterion.TRAIN_MODE, Suite.Criterion.BOUND))
      assertEquals(List.of(), f.stream().filter(x -> x.criterion() == c).toList(), c.toString());
    long withHeadroom = r.cells().stream().filter(c -> c.headroom(Suite.LEARNING_STRETCH) >= Suite.HEADROOM).count();
    assertTrue(withHeadroom >= 8, "the suite must give PPO something to find: " + withHeadroom + " cells with headroom");
    // Not met yet (issue 19): held to the measured level so that it cannot silently get worse.
    long behindAt1000 = f.stream().filter(x -> x.criterion() == Suite.Criterion.INFER_MODE).count();
    assertTrue(behindAt1000 <= KNOWN_BEHIND_AT_1000, behindAt1000 + " cells behind at 1,000 (measured " + KNOWN_BEHIND_AT_1000 + ")");
    List<Double> shares = r.cells().stream().map(c -> c.captured(Suite.LEARNING_STRETCH)).filter(Double::isFinite).toList();
    assertTrue(shares.stream().allMatch(x -> x <= 1.0), "a share above 100 % means hindsight missed PPO's own grants: " + shares);
    assertTrue(Suite.median(shares) >= KNOWN_MEDIAN_SHARE, "median share " + Suite.median(shares) + " (measured " + KNOWN_MEDIAN_SHARE + ")");
    for (Suite.CellResult c : r.cells()) {
      var at = c.eval().get(Suite.LEARNING_STRETCH);
      for (String p : List.of("grant_requested", "fixed_fraction"))
        assertTrue(at.get(Suite.STATE_LIMITED).reward() >= at.get(p).reward() - 1e-12,
            c.cell() + ": the state-limited reference " + at.get(Suite.STATE_LIMITED).reward() + " below " + p + " " + at.get(p).reward());
    }
    System.out.println("SuiteCriteriaTest: " + Suite.stateLimitedMedians(r, Suite.LEARNING_STRETCH));
  }

  /** Cells of this reduced run behind grant_requested's clear margin at 1,000 with today's defaults (measured). */
  static final long KNOWN_BEHIND_AT_1000 = 1;
  /** The median share of the hindsight reference's headroom at 3,000 of this reduced run with today's defaults (measured, rounded down). */
  static final double KNOWN_MEDIAN_SHARE = 0.47;

  /**
   * The same check fails the seed's values: exploring with std 0.3 around a mean that grants 55 % of the
   * cores whatever the ask costs far more than 0.10 a pod while it learns.
   */
  @Test
  void theSeedsValuesFailIt() throws Exception {
    Suite.Result r = run(Hyperparameters.defaults(), List.of(UsageModel.CLASSES), List.of(64), 300);
    assertTrue(Suite.failures(r).stream().anyMatch(f -> f.startsWith("classes/trace/seed 1: train-mode mean")), Suite.failures(r).toString());
  }
}
