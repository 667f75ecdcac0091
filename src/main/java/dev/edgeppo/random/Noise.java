package dev.edgeppo.random;

/**
 * Counter-based noise: a value fixed by (seed, time, channel), through SplitMix64's output function.
 * Simulated policies that grant differently still see the same demand and the same measurement noise
 * at the same moment, which a shared stateful generator could not promise once their event orders
 * diverge; the simulated telemetry reads the same way, so its readings depend on the clock alone.
 */
public final class Noise {
  private Noise() {}

  /** Uniform in [-1, 1). */
  public static double symmetric(long seed, long t, int channel) {
    long z = seed ^ (t * 0x9E3779B97F4A7C15L) ^ ((long) channel * 0xD1B54A32D192ED03L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return (z >>> 11) * 0x1.0p-53 * 2 - 1;
  }
}
