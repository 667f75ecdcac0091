package dev.edgeppo.agent;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;

/**
 * How an {@link AgentCore} behaves, apart from the learner's hyperparameters.
 *
 * @param trainInline run each update on the thread whose feedback filled the batch (deterministic, for
 *                    the simulator) instead of on the background trainer
 * @param seed        seeds action sampling
 * @param pendingTtl  an allocation without feedback for this long is dropped and counted as expired
 * @param maxMemoryMb null: the chosen device's total memory
 * @param maxPending  allocations remembered at most (pending or recently answered); past it the oldest is
 *                    dropped as expired, so callers that never send feedback cannot grow memory without bound
 */
public record AgentOptions(Mode mode, boolean trainInline, long seed, InstantSource clock, Duration pendingTtl,
                           Long maxMemoryMb, int maxPods, int maxPending) {
  public static final Duration DEFAULT_PENDING_TTL = Duration.ofMinutes(30);
  public static final int DEFAULT_MAX_PENDING = 100_000;

  public AgentOptions {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(pendingTtl, "pendingTtl");
    if (pendingTtl.isNegative() || pendingTtl.isZero()) throw new IllegalArgumentException("pending TTL must be positive, got " + pendingTtl);
    if (maxPending < 1) throw new IllegalArgumentException("max pending must be >= 1, got " + maxPending);
  }

  public static AgentOptions defaults() {
    return new AgentOptions(Mode.TRAIN, false, 0, InstantSource.system(), DEFAULT_PENDING_TTL, null, StateEncoder.DEFAULT_MAX_PODS,
        DEFAULT_MAX_PENDING);
  }

  public AgentOptions withMode(Mode m) { return new AgentOptions(m, trainInline, seed, clock, pendingTtl, maxMemoryMb, maxPods, maxPending); }
  public AgentOptions withTrainInline(boolean t) { return new AgentOptions(mode, t, seed, clock, pendingTtl, maxMemoryMb, maxPods, maxPending); }
  public AgentOptions withSeed(long s) { return new AgentOptions(mode, trainInline, s, clock, pendingTtl, maxMemoryMb, maxPods, maxPending); }
  public AgentOptions withClock(InstantSource c) { return new AgentOptions(mode, trainInline, seed, c, pendingTtl, maxMemoryMb, maxPods, maxPending); }
  public AgentOptions withPendingTtl(Duration d) { return new AgentOptions(mode, trainInline, seed, clock, d, maxMemoryMb, maxPods, maxPending); }
  public AgentOptions withMaxMemoryMb(Long m) { return new AgentOptions(mode, trainInline, seed, clock, pendingTtl, m, maxPods, maxPending); }
  public AgentOptions withMaxPods(int p) { return new AgentOptions(mode, trainInline, seed, clock, pendingTtl, maxMemoryMb, p, maxPending); }
  public AgentOptions withMaxPending(int n) { return new AgentOptions(mode, trainInline, seed, clock, pendingTtl, maxMemoryMb, maxPods, n); }
}
