package dev.edgeppo.agent;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The agent's one source of randomness (action sampling), seeded so a run repeats. Request threads share
 * it; a lock keeps one seeded stream (SplittableRandom itself is not thread-safe).
 */
final class SeededRandom implements RandomGenerator {
  private final SplittableRandom r;

  SeededRandom(long seed) { this.r = new SplittableRandom(seed); }

  @Override public synchronized long nextLong() { return r.nextLong(); }
  @Override public synchronized double nextGaussian() { return r.nextGaussian(); }
}
