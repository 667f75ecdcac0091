package dev.edgeppo.agent;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * How an {@link AgentCore} behaves, apart from the learner's hyperparameters. Change fields with
 * {@link #with}: {@code AgentOptions.defaults().with(b -> b.seed(7).trainInline(true))}.
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

  /** A copy with the changes {@code edit} makes to a builder that starts from these values. */
  public AgentOptions with(UnaryOperator<Builder> edit) { return edit.apply(new Builder(this)).build(); }

  /** The one mutable copy of the fields, so each is named once here and once in the record. */
  public static final class Builder {
    private Mode mode;
    private boolean trainInline;
    private long seed;
    private InstantSource clock;
    private Duration pendingTtl;
    private Long maxMemoryMb;
    private int maxPods, maxPending;

    private Builder(AgentOptions o) {
      mode = o.mode; trainInline = o.trainInline; seed = o.seed; clock = o.clock; pendingTtl = o.pendingTtl;
      maxMemoryMb = o.maxMemoryMb; maxPods = o.maxPods; maxPending = o.maxPending;
    }

    public Builder mode(Mode v) { mode = v; return this; }
    public Builder trainInline(boolean v) { trainInline = v; return this; }
    public Builder seed(long v) { seed = v; return this; }
    public Builder clock(InstantSource v) { clock = v; return this; }
    public Builder pendingTtl(Duration v) { pendingTtl = v; return this; }
    public Builder maxMemoryMb(Long v) { maxMemoryMb = v; return this; }
    public Builder maxPods(int v) { maxPods = v; return this; }
    public Builder maxPending(int v) { maxPending = v; return this; }

    AgentOptions build() { return new AgentOptions(mode, trainInline, seed, clock, pendingTtl, maxMemoryMb, maxPods, maxPending); }
  }
}
