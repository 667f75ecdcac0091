package dev.edgeppo.ppo;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/**
 * SPEC §1: how an action (unclipped, as sampled) becomes a grant. Each dimension is clipped to [0, 1] only
 * here. Whatever the mapping, the grant never exceeds the ask and is at least {@code min(MIN_CORES, ask)}
 * cores and {@code min(MIN_MEMORY_MB, ask)} MB. The mapping in force is a hyperparameter
 * ({@code action_mapping}), so it is shown in {@code /v1/policy} and kept in the checkpoint's metadata: a
 * policy learned under one mapping means something else under the other.
 */
public enum ActionMapping {
  /**
   * The seed's: {@code cores = round(a0·(100 − 10) + 10)}, {@code memory = round(a1·(max_memory_mb − 512) + 512)},
   * then each capped at the ask. Every action above the ask's point gives the same grant: a flat region
   * where the reward says nothing about the action (SPEC §1).
   */
  SEED("seed"),
  /**
   * A share of the ask: {@code cores = max(min(10, ask), round(min(1, a0 / 0.5)·ask))}, the same for memory
   * with 512 MB. The same action means the same share whatever the ask's size, and the ask itself sits at
   * a = {@value #ASK_POINT}, the middle of the sigmoid: actions above it all grant the ask (a grant never
   * exceeds it), so a policy pushed up by pods that must not be cut settles a few stds above the middle,
   * where the sigmoid still has its slope, instead of running into its saturated end (with the ask at
   * a = 1 the mean can only approach it, z → ∞, and no gradient comes back).
   */
  RELATIVE("relative");

  /** The smallest core grant (%): below it SPEC §1's reward takes 0.2 off, whatever the ask. */
  public static final int MIN_CORES = 10;
  /** The smallest memory grant (MB) unless less was asked. */
  public static final long MIN_MEMORY_MB = 512;
  /** The relative mapping's action for the whole ask: the middle of the sigmoid's range, where its slope is largest. */
  public static final double ASK_POINT = 0.5;
  /** The cores scale of the seed's mapping: SM cores are a percentage. */
  public static final int MAX_CORES = 100;

  private final String json;

  ActionMapping(String json) { this.json = json; }

  /** What the agent grants for {@code action}. */
  public record Grant(int cores, long memoryMb) {}

  public Grant grant(float[] action, int askCores, long askMemoryMb, long maxMemoryMb) {
    double a0 = clip01(action[0]), a1 = clip01(action[1]);
    return switch (this) {
      case SEED -> new Grant(
          (int) Math.min(askCores, Math.round(a0 * (MAX_CORES - MIN_CORES) + MIN_CORES)),
          Math.min(askMemoryMb, Math.round(a1 * (maxMemoryMb - MIN_MEMORY_MB) + MIN_MEMORY_MB)));
      case RELATIVE -> new Grant(
          (int) Math.max(Math.min(MIN_CORES, askCores), Math.round(Math.min(1, a0 / ASK_POINT) * askCores)),
          Math.max(Math.min(MIN_MEMORY_MB, askMemoryMb), Math.round(Math.min(1, a1 / ASK_POINT) * askMemoryMb)));
    };
  }

  private static double clip01(float v) {
    // NaN cannot come from a finite policy; treat it as the smallest grant rather than as the largest.
    return Float.isNaN(v) ? 0 : Math.min(1.0, Math.max(0.0, v));
  }

  @JsonValue
  public String json() { return json; }

  @JsonCreator
  public static ActionMapping of(String name) {
    for (ActionMapping m : values()) if (m.json.equals(name)) return m;
    throw new IllegalArgumentException("action_mapping must be one of "
        + Arrays.stream(values()).map(ActionMapping::json).toList() + ", got '" + name + "'");
  }

  @Override
  public String toString() { return json.toLowerCase(Locale.ROOT); }
}
