package dev.edgeppo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeppo.backend.Backends;
import dev.edgeppo.json.Json;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.sim.Plot;
import dev.edgeppo.sim.pendulum.PendulumTrainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code edgeppo simulate pendulum}: the learner on a standard control task, to set beside published PPO results. */
@Command(name = "pendulum", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Trains the agent's PPO learner on Pendulum-v1 (gymnasium's equations, in Java) and prints the "
        + "mean episode return against environment steps, then the return of the mean action over evaluation episodes.",
        "Defaults follow rl-baselines3-zoo's tuned PPO for Pendulum-v1 (γ 0.9, lr 1e-3, 4 envs × 1024 steps, "
            + "10 epochs, minibatch 64, no entropy bonus), without its gSDE exploration."})
final class PendulumCommand implements Callable<Integer> {
  /** rl-baselines3-zoo's Pendulum-v1 PPO settings that this learner has (it has no gSDE). */
  static final Map<String, Object> PENDULUM_DEFAULTS = Map.of("gamma", 0.9, "gae_lambda", 0.95, "learning_rate", 1e-3,
      "epochs", 10, "minibatch_size", 64, "shuffle_minibatches", true, "entropy_coef", 0.0, "clip_epsilon", 0.2);

  @Spec CommandSpec spec;

  @Option(names = "--steps", defaultValue = "100000", description = "environment steps in all (default: ${DEFAULT-VALUE})")
  long steps;
  @Option(names = "--envs", defaultValue = "4", description = "environments stepped side by side (default: ${DEFAULT-VALUE})")
  int envs;
  @Option(names = "--rollout", defaultValue = "1024", description = "steps per environment per update (default: ${DEFAULT-VALUE})")
  int rollout;
  @Option(names = "--seed", defaultValue = "1", description = "(default: ${DEFAULT-VALUE})")
  long seed;
  @Option(names = "--eval-episodes", defaultValue = "20", description = "episodes with the mean action at the end (default: ${DEFAULT-VALUE})")
  int evalEpisodes;
  @Option(names = "--backend", defaultValue = "cpu", description = "update backend (default: ${DEFAULT-VALUE})")
  String backend;
  @Option(names = "--config", description = "JSON object of hyperparameter overrides")
  Path config;
  @Option(names = "--hp", description = "one hyperparameter override, name=value (repeatable)")
  Map<String, String> hp = new LinkedHashMap<>();
  @Option(names = "--json", description = "one JSON object on stdout instead of text")
  boolean json;
  @Option(names = "--csv", description = "write steps,mean_return here")
  Path csv;
  @Option(names = "--plot", description = "write a PNG of return against steps here")
  Path plot;

  private static final ObjectMapper JSON = Json.MAPPER;

  @Override
  public Integer call() throws IOException {
    if (steps < 1 || envs < 1 || rollout < 1 || evalEpisodes < 1)
      throw new IllegalArgumentException("--steps, --envs, --rollout and --eval-episodes must be >= 1");
    Backends.available(backend).ifPresent(why -> { throw new IllegalArgumentException(why); });
    Map<String, Object> defaults = new LinkedHashMap<>(PENDULUM_DEFAULTS);
    defaults.put("batch_size", envs * rollout);
    Hyperparameters hyper = SimulateCommand.hyperparameters(defaults, config, hp);
    PrintWriter out = spec.commandLine().getOut();
    List<PendulumTrainer.Point> curve = new ArrayList<>();
    PendulumTrainer trainer = new PendulumTrainer(hyper, envs, rollout, seed);
    PendulumTrainer.Evaluation eval;
    long t0 = System.nanoTime();
    try (PpoLearner learner = trainer.train(Backends.choose(backend).backend(), steps, p -> {
      curve.add(p);
      if (!json) out.printf(Locale.ROOT, "steps %8d  mean return %9.1f  (%d episodes)%n", p.steps(), p.meanReturn(), p.episodes());
      out.flush();
    })) {
      eval = PendulumTrainer.evaluate(learner.policy(), evalEpisodes, seed + 1000);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (csv != null) {
      try (Writer w = Files.newBufferedWriter(csv)) {
        w.write("steps,mean_return\n");
        for (PendulumTrainer.Point p : curve) w.write(String.format(Locale.ROOT, "%d,%.3f%n", p.steps(), p.meanReturn()));
      }
    }
    if (plot != null) {
      double[] x = curve.stream().mapToDouble(PendulumTrainer.Point::steps).toArray();
      double[] y = curve.stream().mapToDouble(PendulumTrainer.Point::meanReturn).toArray();
      Map<String, Double> levels = new LinkedHashMap<>();
      levels.put("edgeppo, mean action (eval)", eval.mean());
      levels.put("zoo PPO+gSDE 100k (-172)", -172.0);
      levels.put("CleanRL PPO 8M (-1142)", -1142.0);
      Plot.lines(plot, "Pendulum-v1: edgeppo PPO, seed " + seed, "environment steps", "mean episode return",
          x, Map.of("edgeppo PPO, training episodes", y), levels);
    }
    if (json) {
      ObjectNode root = JSON.createObjectNode();
      root.put("steps", curve.isEmpty() ? 0 : curve.getLast().steps());
      root.put("seed", seed);
      root.put("envs", envs);
      root.put("rollout", rollout);
      root.set("hyperparameters", JSON.valueToTree(hyper));
      ArrayNode c = root.putArray("curve");
      for (PendulumTrainer.Point p : curve) c.addObject().put("steps", p.steps()).put("mean_return", p.meanReturn());
      root.putObject("evaluation").put("mean_return", eval.mean()).put("std", eval.std()).put("episodes", eval.episodes());
      out.println(JSON.writeValueAsString(root));
    } else {
      out.printf(Locale.ROOT, "mean action over %d episodes: %.1f ± %.1f (%.1f s)%n", eval.episodes(), eval.mean(), eval.std(), seconds);
      out.println("published PPO on Pendulum-v1: CleanRL default -1142 ± 136 after 8M steps; rl-baselines3-zoo tuned (gSDE) -172 ± 104 after 100k");
    }
    out.flush();
    return 0;
  }
}
