package dev.edgeppo.agent;

/**
 * SPEC §1: an action (unclipped, as sampled) to a grant. Clipped to [0, 1] only here, scaled to
 * 10..100 % and 512..max_memory_mb, then capped at what was requested.
 */
public final class ActionMapper {
  public static final int MIN_CORES = 10;
  public static final long MIN_MEMORY_MB = 512;

  private ActionMapper() {}

  public record Grant(int cores, long memoryMb) {}

  public static Grant grant(float[] action, int requestedCores, long requestedMemoryMb, long maxMemoryMb) {
    double a0 = clip01(action[0]), a1 = clip01(action[1]);
    int cores = (int) Math.round(a0 * (100 - MIN_CORES) + MIN_CORES);
    long memory = Math.round(a1 * (maxMemoryMb - MIN_MEMORY_MB) + MIN_MEMORY_MB);
    return new Grant(Math.min(cores, requestedCores), Math.min(memory, requestedMemoryMb));
  }

  private static double clip01(float v) {
    // NaN cannot come from a finite policy; treat it as the smallest grant rather than as 100 %.
    return Float.isNaN(v) ? 0 : Math.min(1.0, Math.max(0.0, v));
  }
}
