package dev.edgeppo.sim;

import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.agent.AllocateRequest;
import dev.edgeppo.agent.Allocation;
import dev.edgeppo.agent.Feedback;
import dev.edgeppo.agent.Mode;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.telemetry.Telemetry;

/**
 * The agent itself on the simulated node: allocation, reward, buffer and training are {@link AgentCore}'s,
 * as under {@code serve}, with updates run inline so a seed fixes the whole run. On the first pod of the
 * evaluation stretch the policy learned so far is frozen into a second core in infer mode (mean action, no
 * learning); feedback for pods allocated before keeps training the first core, which no longer answers.
 */
public final class PpoPolicy implements AllocationPolicy {
  private final PpoLearner learner;
  private final AgentOptions options;
  private final AgentCore training;
  private AgentCore evaluating;
  private Throwable failure;

  /** @param node the simulated node: the core reads it for states and ages allocations by its clock */
  public PpoPolicy(PpoLearner learner, SimNode node, long seed) {
    this.learner = learner;
    this.options = AgentOptions.defaults().with(b -> b.mode(Mode.TRAIN).trainInline(true).seed(seed).clock(node.clock()));
    this.training = new AgentCore(learner, node, options);
    // The core keeps serving when an update fails (right for serve); a simulation that silently stopped
    // learning would report a meaningless comparison, so the first failure ends the run.
    training.onUpdateFailure(t -> { if (failure == null) failure = t; });
  }

  @Override
  public String name() { return "ppo"; }

  @Override
  public Grant allocate(SimPod pod, Telemetry node, boolean evaluation) {
    AgentCore core = evaluation ? evaluator() : training;
    Allocation a = core.allocate(new AllocateRequest(pod.requestCores(), pod.requestMemoryMb(), pod.name(), null));
    return new Grant(a.cores(), a.memoryMb(), new Token(core, a.allocationId()));
  }

  @Override
  public double feedback(Grant grant, double actualUsage, boolean qosMet, int pods, boolean done) {
    Token t = (Token) grant.token();
    if (failure != null) throw new IllegalStateException("a PPO update failed: " + failure.getMessage(), failure);
    return t.core.feedback(new Feedback(t.allocationId, actualUsage, qosMet, pods, done)).reward();
  }

  private AgentCore evaluator() {
    if (evaluating == null) {
      PpoLearner.Snapshot s = learner.snapshot();
      PpoLearner frozen = new PpoLearner(learner.hyperparameters(), new NoUpdates(), s.params(), s.adam(), s.updates());
      evaluating = new AgentCore(frozen, training.telemetry(), options.with(b -> b.mode(Mode.INFER)));
    }
    return evaluating;
  }

  public long updates() { return learner.updates(); }

  private record Token(AgentCore core, String allocationId) {}

  /** The frozen learner of the evaluation core never trains: an update there would be a bug. */
  private static final class NoUpdates implements dev.edgeppo.ppo.UpdateBackend {
    @Override public String name() { return "frozen"; }

    @Override
    public dev.edgeppo.ppo.UpdateMetrics update(dev.edgeppo.ppo.PolicyParams p, dev.edgeppo.ppo.AdamState a,
                                                dev.edgeppo.ppo.RolloutBatch b, dev.edgeppo.ppo.Hyperparameters hp) {
      throw new IllegalStateException("the evaluated policy is frozen");
    }
  }

  @Override
  public void close() {
    training.close();
    if (evaluating != null) evaluating.close();
  }
}
