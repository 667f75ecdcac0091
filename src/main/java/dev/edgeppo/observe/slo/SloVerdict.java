package dev.edgeppo.observe.slo;

/**
 * What the pod's own metrics say about one observation window: the objective, the value over the
 * window (NaN when undecided), the outcome, why (for an undecided window), and how many scrapes were
 * taken and how many of them failed.
 */
public record SloVerdict(Objective objective, Outcome outcome, double value, String reason, int scrapes, int failedScrapes) {

  /** MET and MISSED decide {@code qos_met}; UNDECIDED leaves it to the NVML rules (SPEC §5). */
  public enum Outcome { MET, MISSED, UNDECIDED }

  public boolean decided() { return outcome != Outcome.UNDECIDED; }

  /** Only meaningful when {@link #decided()}. */
  public boolean met() { return outcome == Outcome.MET; }

  public static SloVerdict undecided(Objective objective, String reason, int scrapes, int failed) {
    return new SloVerdict(objective, Outcome.UNDECIDED, Double.NaN, reason, scrapes, failed);
  }
}
