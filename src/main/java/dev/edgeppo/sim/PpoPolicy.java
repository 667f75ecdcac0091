package dev.edgeppo.sim;

import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.agent.AllocateRequest;
import dev.edgeppo.agent.Allocation;
import dev.edgeppo.agent.Feedback;
import dev.edgeppo.agent.Mode;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.telemetry.Telemetry;
import java.util.function.LongConsumer;

/**
 * The agent itself on the simulated node: allocation, action mapping, reward, buffer and training are
 * {@link AgentCore}'s with serve's {@link AgentOptions#defaults() options}, as under {@code serve}. The one
 * difference: updates run inline on the feedback that fills a batch rather than on the background
 * trainer, so that a seed fixes the whole run (on a node that sees a few pods an hour, an update always
 * ends long before the next feedback, so the two orders are the same).
 */
public final class PpoPolicy implements AllocationPolicy {
  private final PpoLearner learner;
  private final AgentCore core;
  private final String name;
  private LongConsumer afterFeedback = n -> {};
  private long feedbacks;
  private Throwable failure;
  private final MeanActions meanActions = new MeanActions();

  /**
   * Where the policy's mean action sits, over the allocations it answered: the learning signals the diagnosis in
   * docs/learning.md reads. {@code saturated}: the sigmoid's slope at the cores mean is under 0.05 (mean above
   * 0.947 or below 0.053), so the gradient back through it is a twentieth of its best or less;
   * {@code atAsk}: the mean action grants the whole ask (for the seed's mapping: it sits on the flat
   * region above the ask's point, where the reward cannot tell actions apart).
   */
  public static final class MeanActions {
    long count, saturated, atAsk;
    double coresSum;

    public long count() { return count; }
    public double meanCores() { return count == 0 ? Double.NaN : coresSum / count; }
    public double saturatedShare() { return count == 0 ? Double.NaN : saturated / (double) count; }
    public double atAskShare() { return count == 0 ? Double.NaN : atAsk / (double) count; }
  }

  private PpoPolicy(String name, PpoLearner learner, SimNode node, long seed, Mode mode) {
    this.name = name;
    this.learner = learner;
    AgentOptions options = AgentOptions.defaults().with(b -> b.mode(mode).trainInline(true).seed(seed).clock(node.clock()));
    this.core = new AgentCore(learner, node, options);
    // The core keeps serving when an update fails (right for serve); a simulation that silently stopped
    // learning would report a meaningless comparison, so the first failure ends the run.
    core.onUpdateFailure(t -> { if (failure == null) failure = t; });
  }

  /** The agent in train mode: samples its actions and learns from every feedback. */
  public static PpoPolicy training(PpoLearner learner, SimNode node, long seed) {
    return new PpoPolicy("ppo", learner, node, seed, Mode.TRAIN);
  }

  /** What a learner had learned at {@code s}, in infer mode: the mean action, no learning. */
  public static PpoPolicy frozen(dev.edgeppo.ppo.Hyperparameters hp, PpoLearner.Snapshot s, SimNode node, long seed) {
    return new PpoPolicy("ppo", new PpoLearner(hp, new NoUpdates(), s.params(), s.adam(), s.updates()), node, seed, Mode.INFER);
  }

  /** Told the number of feedbacks so far after each one (and after the update it may have started). */
  public PpoPolicy afterFeedback(LongConsumer c) {
    this.afterFeedback = c;
    return this;
  }

  @Override
  public String name() { return name; }

  @Override
  public Grant allocate(SimPod pod, Telemetry node, boolean evaluation) {
    Allocation a = core.allocate(new AllocateRequest(pod.requestCores(), pod.requestMemoryMb(), pod.name(), null));
    float[] mean = learner.policy().mean(a.state());
    float m = mean[0];
    meanActions.count++;
    meanActions.coresSum += m;
    if (m * (1 - m) < 0.05) meanActions.saturated++;
    if (learner.hyperparameters().actionMapping().grant(mean, pod.requestCores(), pod.requestMemoryMb(), SimNode.TOTAL_MIB).cores()
        == pod.requestCores()) meanActions.atAsk++;
    return new Grant(a.cores(), a.memoryMb(), a.allocationId());
  }

  @Override
  public double feedback(Grant grant, double actualUsage, boolean qosMet, int pods, boolean done) {
    double r = core.feedback(new Feedback((String) grant.token(), actualUsage, qosMet, pods, done)).reward();
    if (failure != null) throw new IllegalStateException("a PPO update failed: " + failure.getMessage(), failure);
    afterFeedback.accept(++feedbacks);
    return r;
  }

  public long updates() { return learner.updates(); }

  /** The agent itself (the fleet's member learns through it, as under serve). */
  public AgentCore core() { return core; }

  public MeanActions meanActions() { return meanActions; }

  /** The frozen learner never trains: an update there would be a bug. */
  private static final class NoUpdates implements dev.edgeppo.ppo.UpdateBackend {
    @Override public String name() { return "frozen"; }

    @Override
    public dev.edgeppo.ppo.UpdateMetrics update(dev.edgeppo.ppo.PolicyParams p, dev.edgeppo.ppo.AdamState a,
                                                dev.edgeppo.ppo.RolloutBatch b, dev.edgeppo.ppo.Hyperparameters hp) {
      throw new IllegalStateException("the evaluated policy is frozen");
    }
  }

  @Override
  public void close() { core.close(); }
}
