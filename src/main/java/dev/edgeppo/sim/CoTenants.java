package dev.edgeppo.sim;

import dev.edgeppo.random.Noise;

/**
 * Processes on the GPU that the agent did not place (another scheduler's pods, a node daemon): they load
 * the GPU, hold memory and count as pods, and the agent can only see them through telemetry. Their
 * number (1-3) and each one's SM use (15-35 %) and memory (2-6 GiB) change every {@value #SLOT_S} s, a
 * pure function of the seed and the time.
 */
public record CoTenants(long seed, boolean present) {
  public static final CoTenants NONE = new CoTenants(0, false);
  public static final long SLOT_S = 1800;
  public static final int MAX = 3;

  public static CoTenants of(long seed) { return new CoTenants(seed, true); }

  /** How many run at {@code t}. */
  public int count(long t) {
    if (!present) return 0;
    return 1 + (int) Math.floor((Noise.symmetric(seed, t / SLOT_S, 10) + 1) / 2 * MAX) % MAX;
  }

  /** SM % the co-tenant {@code i} wants at {@code t}, steady within its slot with ±5 % jitter. */
  public double demand(int i, long t) {
    double level = 25 + 10 * Noise.symmetric(seed, t / SLOT_S, 20 + i);
    return level * (1 + 0.05 * Noise.symmetric(seed, t, 30 + i));
  }

  /** MiB the co-tenant {@code i} holds at {@code t}. */
  public long memoryMb(int i, long t) {
    return Math.round(4096 + 2048 * Noise.symmetric(seed, t / SLOT_S, 40 + i));
  }

  public long memoryMb(long t) {
    long m = 0;
    for (int i = 0; i < count(t); i++) m += memoryMb(i, t);
    return m;
  }

  public double demand(long t) {
    double d = 0;
    for (int i = 0; i < count(t); i++) d += demand(i, t);
    return d;
  }
}
