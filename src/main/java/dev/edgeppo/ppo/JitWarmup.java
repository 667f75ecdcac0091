package dev.edgeppo.ppo;

import static dev.edgeppo.ppo.ParamLayout.ACTION_DIM;
import static dev.edgeppo.ppo.ParamLayout.STATE_DIM;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Makes a fresh JVM's first real updates fast: runs updates of a small shape derived from the learner's
 * ({@link #warmupShape}: one epoch, a few minibatches, width and minibatch length at most 64 + remainder)
 * on a throwaway copy
 * (fresh parameters, fresh Adam state, a synthetic batch, a backend of its own) until the JIT has compiled
 * the update ({@link JitSettling}), bounded by a number of updates AND by a deadline. Nothing the learner
 * holds is read or written.
 *
 * <p>Why small and time-bounded: the JIT compiles methods, not shapes, so the same code paths compiled on a
 * one-epoch update serve a hundred-epoch one; warming on the learner's full shape (H 256, 100 epochs: ~1 s per
 * update cold) took minutes and held the first real update behind it. The deadline is the promise that a real
 * update never waits more than {@link #DEFAULT_DEADLINE} for the warm-up, whatever the shape.
 *
 * <p>Why: the update's Vector API code is fast only once C2 has compiled it; interpreted or in C1 each
 * vector operation allocates, and the first updates of a fresh JVM take 15-900 ms where a warm one takes
 * 0.3 ms (T 32, H 64; README, "Cold and warm"). An agent trains once every 32 pods, so without this most of
 * its updates would be cold. JDK 25's AOT cache (JEP 483, 515) was measured and does not help here: it
 * keeps loaded classes and profiles, not compiled code, and the first update stayed at ~1 s.
 */
public final class JitWarmup {
  private JitWarmup() {}

  /** Default bound: enough for C2 on a loaded 2-core machine (settles after ~200-600 updates of T 32). */
  public static final int DEFAULT_MAX_UPDATES = 2000;
  /** Default time bound: a real update queued behind the warm-up waits at most this long for it. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(3);
  /** Minibatches per warm-up update: enough to run the minibatch loop's back edge, few enough to be short. */
  static final int WARMUP_MINIBATCHES = 2;

  /**
   * @param updates     updates run
   * @param settled     the JIT settled before the bound (false: stopped by a bound, the deadline or cancelled)
   * @param millis      wall time of the warm-up
   * @param lastMedianUs median update time of the last window, µs
   */
  public record Result(int updates, boolean settled, long millis, double lastMedianUs) {}

  /** Widths and minibatch lengths above this are warmed at a smaller size with the same remainder. */
  static final int SMALL = 64;

  /**
   * A size no larger than {@code n} with the same remainder modulo {@link #SMALL} (so modulo every vector
   * length that divides it: 4, 8, 16 floats): the vector loops take the same main and tail paths, so the
   * code C2 compiles and the branch profiles it keeps are those of size {@code n}.
   */
  static int small(int n) { return n <= SMALL ? n : SMALL + n % SMALL; }

  /**
   * The shape the warm-up trains on: one epoch of a few minibatches, at a width and minibatch length no
   * larger than {@link #SMALL} + remainder ({@link #small}). Measured: warming H 256 at its own width left
   * the first update of one epoch at 3 s cold (interpreted Vector API, each lane operation allocating), so
   * a deadline of a few seconds ran one update and compiled nothing; the small shape runs hundreds of updates
   * in that time and C2 compiles the same methods.
   */
  public static Hyperparameters warmupShape(Hyperparameters hp) {
    int mb = small(hp.minibatchFor(hp.batchSize()));
    com.fasterxml.jackson.databind.node.ObjectNode o = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    o.put("epochs", 1).put("hidden", small(hp.hidden())).put("replay_size", 0);
    if (hp.minibatchSize() == 0) o.put("batch_size", mb).put("minibatch_size", 0); // one whole-batch minibatch, as the learner
    else o.put("batch_size", Math.min(hp.batchSize(), WARMUP_MINIBATCHES * mb)).put("minibatch_size", mb);
    return hp.with(o);
  }

  /** {@link #run(UpdateBackend, Hyperparameters, int, Duration, LongSupplier, BooleanSupplier)} on the wall clock. */
  public static Result run(UpdateBackend backend, Hyperparameters hp, int maxUpdates, Duration deadline, BooleanSupplier cancelled) {
    return run(backend, hp, maxUpdates, deadline, System::nanoTime, cancelled);
  }

  /**
   * Runs the warm-up on {@code backend} (a separate instance from the learner's: it is closed by the caller)
   * on {@link #warmupShape}{@code (hp)}; stops when settled, after {@code maxUpdates}, when {@code deadline}
   * has passed on {@code nanoClock} (checked before each update, so the overrun is at most one small-shape
   * update), or when {@code cancelled}. The clock is a parameter so that a test can hold the bound without
   * measuring time.
   */
  public static Result run(UpdateBackend backend, Hyperparameters hp, int maxUpdates, Duration deadline, LongSupplier nanoClock,
      BooleanSupplier cancelled) {
    if (deadline.isNegative()) throw new IllegalArgumentException("warm-up deadline must not be negative, got " + deadline);
    Hyperparameters shape = warmupShape(hp);
    PolicyParams params = PolicyParams.initialise(shape.hidden(), shape.initialStd(), 0x5eed);
    AdamState adam = new AdamState(params.layout());
    RolloutBatch batch = syntheticBatch(shape.batchSize(), new SplittableRandom(7));
    JitSettling settling = new JitSettling();
    long start = nanoClock.getAsLong();
    long budget = deadline.toNanos();
    int n = 0;
    while (n < maxUpdates && !settling.settled() && !cancelled.getAsBoolean() && nanoClock.getAsLong() - start < budget) {
      long t0 = nanoClock.getAsLong();
      backend.update(params, adam, batch, shape);
      settling.record(nanoClock.getAsLong() - t0);
      n++;
    }
    return new Result(n, settling.settled(), (nanoClock.getAsLong() - start) / 1_000_000, settling.lastMedianMicros());
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
