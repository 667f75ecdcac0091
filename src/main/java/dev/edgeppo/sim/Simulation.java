package dev.edgeppo.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeppo.agent.Agent;
import dev.edgeppo.backend.Backends;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * PPO and the baselines, each on its own fresh node, on the very same arrivals: the first
 * {@code trainCount} pods are the training stretch (PPO learns from scratch), the rest the evaluation
 * stretch (PPO answers with its mean action, frozen). Everything is a function of the seed.
 */
public final class Simulation {
  /** Told (feedbacks done, feedbacks in all runs) as the runs go. */
  public interface Progress {
    void update(long done, long total, String policy);
  }

  public record Config(String workload, List<SimPod> pods, int trainCount, long seed, Hyperparameters hyperparameters,
                       String backend, double fraction) {
    public Config {
      if (trainCount < 1 || trainCount > pods.size()) throw new IllegalArgumentException("training stretch must hold 1.." + pods.size() + " pods");
    }
  }

  public record PolicyRun(String name, List<SimulationRunner.Outcome> outcomes, PolicyStats train, PolicyStats eval) {}

  public record Result(Config config, List<PolicyRun> runs, long ppoUpdates, String backendWhy) {
    public PolicyRun run(String name) {
      return runs.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
    }

    /** PPO's evaluated mean reward minus each baseline's on the same evaluation stretch. */
    public Map<String, Double> margins() {
      double ppo = run("ppo").eval().meanReward();
      Map<String, Double> m = new LinkedHashMap<>();
      for (PolicyRun r : runs) if (!r.name().equals("ppo")) m.put(r.name(), ppo - r.eval().meanReward());
      return m;
    }

    public ObjectNode toJson(ObjectMapper json) {
      ObjectNode root = json.createObjectNode();
      root.put("workload", config.workload());
      root.put("seed", config.seed());
      root.put("feedbacks", config.trainCount());
      root.put("eval_feedbacks", config.pods().size() - config.trainCount());
      root.put("ppo_updates", ppoUpdates);
      root.set("hyperparameters", json.valueToTree(config.hyperparameters()));
      ObjectNode policies = root.putObject("policies");
      for (PolicyRun r : runs) {
        ObjectNode p = policies.putObject(r.name());
        p.put("mean_reward", r.train().meanReward());
        p.put("qos_rate", r.train().qosRate());
        p.put("utilization_efficiency", r.train().utilizationEfficiency());
        p.put("oom_rate", r.train().oomRate());
        p.put("mean_reward_last", r.eval().meanReward());
        p.put("qos_rate_last", r.eval().qosRate());
        p.put("utilization_efficiency_last", r.eval().utilizationEfficiency());
        p.put("oom_rate_last", r.eval().oomRate());
        if (r.name().equals("fixed_fraction")) p.put("fraction", config.fraction());
      }
      ObjectNode margins = root.putObject("margins");
      margins().forEach(margins::put);
      return root;
    }
  }

  private Simulation() {}

  public static Result run(Config c, Progress progress) {
    Backends.Choice choice = Backends.choose(c.backend());
    List<PolicyRun> runs = new ArrayList<>();
    long total = 4L * c.pods().size();
    long[] done = {0};
    long[] updates = {0};
    try (PpoLearner learner = Agent.learner(c.hyperparameters(), choice.backend(), c.seed(), null)) {
      runs.add(play("ppo", c, node -> new PpoPolicy(learner, node, c.seed()), progress, done, total));
      updates[0] = learner.updates();
    }
    runs.add(play("grant_requested", c, node -> Baseline.grantRequested(), progress, done, total));
    runs.add(play("fixed_fraction", c, node -> Baseline.fixedFraction(c.fraction()), progress, done, total));
    runs.add(play("random", c, node -> Baseline.random(c.seed() ^ 0x7A4D0L), progress, done, total));
    return new Result(c, runs, updates[0], choice.why());
  }

  private static PolicyRun play(String name, Config c, Function<SimNode, AllocationPolicy> policy, Progress progress, long[] done,
                                long total) {
    long base = done[0];
    List<SimulationRunner.Outcome> out = SimulationRunner.run(c.pods(), c.trainCount(), policy,
        n -> progress.update(base + n, total, name));
    done[0] = base + c.pods().size();
    return new PolicyRun(name, out, PolicyStats.of(out, false), PolicyStats.of(out, true));
  }
}
