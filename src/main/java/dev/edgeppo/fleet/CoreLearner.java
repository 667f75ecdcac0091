package dev.edgeppo.fleet;

import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.agent.Mode;
import dev.edgeppo.ppo.PpoLearner;
import java.time.Duration;

/** An agent's core as the fleet sees it: what {@code serve} and the simulator both hand to {@link FleetMember}. */
public final class CoreLearner implements FleetLearner {
  /** How long a merge waits for a running update before it is left queued behind it. */
  static final Duration SHIFT_WAIT = Duration.ofSeconds(30);
  private final AgentCore core;

  public CoreLearner(AgentCore core) { this.core = core; }

  @Override
  public Learned learned() {
    PpoLearner.Snapshot s = core.learner().snapshot();
    return new Learned(s.params().data().clone(), s.updates());
  }

  @Override public int batchSize() { return core.learner().hyperparameters().batchSize(); }
  @Override public int hidden() { return core.learner().hyperparameters().hidden(); }
  @Override public String actionMapping() { return core.learner().hyperparameters().actionMapping().json(); }
  @Override public boolean learns() { return core.options().mode() == Mode.TRAIN; }
  @Override public void shift(float[] delta) { core.shiftPolicy(delta, SHIFT_WAIT); }
}
