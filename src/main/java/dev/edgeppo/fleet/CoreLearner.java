package dev.edgeppo.fleet;

import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.agent.Experience;
import dev.edgeppo.agent.Mode;
import dev.edgeppo.ppo.PpoLearner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** An agent's core as the fleet sees it: what {@code serve} and the simulator both hand to {@link FleetMember}. */
public final class CoreLearner implements FleetLearner {
  /** How long a merge waits for a running update before it is left queued behind it. */
  static final Duration SHIFT_WAIT = Duration.ofSeconds(30);
  private final AgentCore core;

  public CoreLearner(AgentCore core) { this.core = core; }

  @Override
  public Learned learned() {
    PpoLearner.Snapshot s = core.learner().snapshot();
    return new Learned(s.params().data().clone(), s.updates(), core.ownUpdates());
  }

  @Override public int batchSize() { return core.learner().hyperparameters().batchSize(); }
  @Override public int hidden() { return core.learner().hyperparameters().hidden(); }
  @Override public String actionMapping() { return core.learner().hyperparameters().actionMapping().json(); }
  @Override public boolean learns() { return core.options().mode() == Mode.TRAIN; }
  @Override public void shift(float[] delta) { core.shiftPolicy(delta, SHIFT_WAIT); }

  /** With γ 0 every experience is its own episode: a peer can train on it; with another γ it belongs to a trajectory. */
  @Override public boolean sharesExperience() { return learns() && core.learner().hyperparameters().gamma() == 0; }

  @Override
  public List<SharedExperience> recentExperiences() {
    List<SharedExperience> out = new ArrayList<>();
    for (Experience e : core.recentExperiences()) out.add(new SharedExperience(e.seq(), e.state(), e.action(), e.logProb(), e.reward()));
    return out;
  }

  @Override public double value(float[] state) { return core.learner().policy().value(state); }

  @Override
  public void trainOnPeers(List<SharedExperience> experiences) {
    List<Experience> es = new ArrayList<>(experiences.size());
    // seq −1: not this agent's (never journaled, never a trained_through); value and next state are filled in by the trainer.
    for (SharedExperience e : experiences) es.add(new Experience(-1, e.state(), e.action(), e.logProb(), 0f, e.reward(), e.state(), true));
    core.trainOnPeers(es);
  }
}
