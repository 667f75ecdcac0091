package dev.edgeppo.ppo;

import static dev.edgeppo.ppo.ParamLayout.ACTION_DIM;
import static dev.edgeppo.ppo.ParamLayout.STATE_DIM;

import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * Makes a fresh JVM's first real updates fast: runs updates of the learner's own shape (T, H, minibatches,
 * epochs) on a throwaway copy (fresh parameters, fresh Adam state, a synthetic batch, a backend of its own)
 * until the JIT has compiled the update ({@link JitSettling}), bounded by a number of updates. Nothing the
 * learner holds is read or written.
 *
 * <p>Why: the update's Vector API code is fast only once C2 has compiled it; interpreted or in C1 each
 * vector operation allocates, and the first updates of a fresh JVM take 15-900 ms where a warm one takes
 * 0.3 ms (T 32, H 64; docs/performance.md, "Cold and warm"). An agent trains once every 32 pods, so without this most of
 * its updates would be cold. JDK 25's AOT cache (JEP 483, 515) was measured and does not help here: it
 * keeps loaded classes and profiles, not compiled code, and the first update stayed at ~1 s.
 */
public final class JitWarmup {
  private JitWarmup() {}

  /** Default bound: enough for C2 on a loaded 2-core machine (settles after ~200-600 updates of T 32). */
  public static final int DEFAULT_MAX_UPDATES = 2000;

  /**
   * @param updates     updates run
   * @param settled     the JIT settled before the bound (false: stopped by the bound or cancelled)
   * @param millis      wall time of the warm-up
   * @param lastMedianUs median update time of the last window, µs
   */
  public record Result(int updates, boolean settled, long millis, double lastMedianUs) {}

  /**
   * Runs the warm-up on {@code backend} (a separate instance from the learner's: it is closed by the caller)
   * for hyperparameters {@code hp}; stops when settled, after {@code maxUpdates}, or when {@code cancelled}.
   */
  public static Result run(UpdateBackend backend, Hyperparameters hp, int maxUpdates, BooleanSupplier cancelled) {
    PolicyParams params = PolicyParams.initialise(hp.hidden(), hp.initialStd(), 0x5eed);
    AdamState adam = new AdamState(params.layout());
    RolloutBatch batch = syntheticBatch(hp.batchSize(), new SplittableRandom(7));
    JitSettling settling = new JitSettling();
    long start = System.nanoTime();
    int n = 0;
    while (n < maxUpdates && !settling.settled() && !cancelled.getAsBoolean()) {
      long t0 = System.nanoTime();
      backend.update(params, adam, batch, hp);
      settling.record(System.nanoTime() - t0);
      n++;
    }
    return new Result(n, settling.settled(), (System.nanoTime() - start) / 1_000_000, settling.lastMedianMicros());
  }

  /** A plausible batch: states in [0,1], actions near the middle, rewards in the agent's range, a few dones. */
  public static RolloutBatch syntheticBatch(int t, SplittableRandom r) {
    RolloutBatch b = RolloutBatch.allocate(t);
    for (int i = 0; i < t * STATE_DIM; i++) {
      b.states()[i] = (float) r.nextDouble();
      b.nextStates()[i] = (float) r.nextDouble();
    }
    for (int i = 0; i < t * ACTION_DIM; i++) b.actions()[i] = (float) (0.5 + 0.3 * (r.nextDouble() - 0.5));
    for (int i = 0; i < t; i++) {
      b.logProbs()[i] = (float) r.nextDouble();
      b.values()[i] = (float) (r.nextDouble() - 0.5);
      b.rewards()[i] = (float) (r.nextDouble() * 2 - 0.5);
      b.dones()[i] = r.nextDouble() < 0.1 ? 1f : 0f;
    }
    return b;
  }
}
