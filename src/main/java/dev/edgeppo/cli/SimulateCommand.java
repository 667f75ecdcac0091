package dev.edgeppo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeppo.backend.Backends;
import dev.edgeppo.json.Json;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.sim.ArrivalProcess;
import dev.edgeppo.sim.LearningCurve;
import dev.edgeppo.sim.Plot;
import dev.edgeppo.sim.PolicyStats;
import dev.edgeppo.sim.SimPod;
import dev.edgeppo.sim.Simulation;
import dev.edgeppo.sim.TraceReplay;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code edgeppo simulate}: the agent against a simulated GPU node, beside the baselines. */
@Command(name = "simulate", mixinStandardHelpOptions = true, sortOptions = false,
    subcommands = PendulumCommand.class,
    description = {
        "Runs the agent (the same allocation, reward, buffer and training code as serve) against a simulated GPU "
            + "node, and the baselines (grant_requested, fixed_fraction, random) on the same arrivals. PPO learns "
            + "from scratch for --feedbacks feedbacks, then is evaluated in infer mode (mean action) on the next "
            + "--eval-feedbacks arrivals, as are the baselines.",
        "The trace workload replays Alibaba's GPU-sharing cluster trace (openb, 2023); a 300-pod excerpt is built in. "
            + "The full trace is in the public GitHub repository alibaba/clusterdata, folder cluster-trace-gpu-v2023 "
            + "(csv/openb_pod_list_default.csv): pass it with --trace."})
final class SimulateCommand implements Callable<Integer> {
  /**
   * Where simulate departs from SPEC's serving defaults, and why. Every allocation is a separate pod whose
   * reward does not depend on the next allocation: γ 0 makes each update a contextual-bandit step
   * (advantage = reward − V(s)) instead of mixing the next pods' luck into this pod's advantage. With 32
   * experiences, 4 epochs and lr 3e-4 the policy settles on granting every ask before it finds that
   * inference asks can be cut (measured: margin 0.000 over grant_requested at 20,000 feedbacks, seed 1);
   * 256 experiences per update, shuffled minibatches of 64, 10 epochs and lr 1e-3 find it.
   */
  static final Map<String, Object> SIMULATE_DEFAULTS = Map.of("gamma", 0.0, "learning_rate", 1e-3, "batch_size", 256,
      "minibatch_size", 64, "epochs", 10, "shuffle_minibatches", true);

  @Spec CommandSpec spec;

  @Option(names = "--feedbacks", defaultValue = "20000", description = "feedbacks PPO learns from (default: ${DEFAULT-VALUE})")
  int feedbacks;
  @Option(names = "--eval-feedbacks", defaultValue = "5000", description = "arrivals of the evaluation stretch (default: ${DEFAULT-VALUE})")
  int evalFeedbacks;
  @Option(names = "--seed", defaultValue = "1", description = "seeds arrivals, hidden demands, initialisation and sampling (default: ${DEFAULT-VALUE})")
  long seed;
  @Option(names = "--workload", defaultValue = "synthetic", description = "synthetic | trace (default: ${DEFAULT-VALUE})")
  String workload;
  @Option(names = "--trace", description = "openb pod list CSV for --workload trace (default: the built-in excerpt)")
  Path trace;
  @Option(names = "--concurrency", defaultValue = "2", description = "pods on the node on average (default: ${DEFAULT-VALUE})")
  double concurrency;
  @Option(names = "--fraction", defaultValue = "0.5", description = "share of the asked cores the fixed_fraction baseline grants (default: ${DEFAULT-VALUE})")
  double fraction;
  @Option(names = "--backend", defaultValue = "cpu", description = "update backend: cpu | cuda | cuda-host | auto (default: ${DEFAULT-VALUE})")
  String backend;
  @Option(names = "--config", description = "JSON object of hyperparameter overrides (names as in /v1/policy); simulate starts from SPEC's defaults with gamma 0, learning_rate 1e-3, batch_size 256, minibatch_size 64, epochs 10, shuffle_minibatches true")
  Path config;
  @Option(names = "--hp", description = "one hyperparameter override, name=value (repeatable; after --config)")
  Map<String, String> hp = new LinkedHashMap<>();
  @Option(names = "--json", description = "print one JSON object on stdout and nothing on stderr")
  boolean json;
  @Option(names = "--csv", description = "write the learning curve (mean reward per block of feedbacks) here")
  Path csv;
  @Option(names = "--block", defaultValue = "500", description = "feedbacks per learning-curve point (default: ${DEFAULT-VALUE})")
  int block;
  @Option(names = "--plot", description = "write a PNG of reward against feedbacks here")
  Path plot;

  private static final ObjectMapper JSON = Json.MAPPER;

  @Override
  public Integer call() throws IOException {
    if (feedbacks < 1) throw new IllegalArgumentException("--feedbacks must be >= 1, got " + feedbacks);
    if (evalFeedbacks < 1) throw new IllegalArgumentException("--eval-feedbacks must be >= 1, got " + evalFeedbacks);
    if (block < 1) throw new IllegalArgumentException("--block must be >= 1, got " + block);
    if (plot != null && !plot.toString().toLowerCase(Locale.ROOT).endsWith(".png"))
      throw new IllegalArgumentException("--plot must name a .png file, got " + plot);
    Backends.available(backend).ifPresent(why -> { throw new IllegalArgumentException(why); });
    Hyperparameters hyper = hyperparameters(SIMULATE_DEFAULTS, config, hp);
    int total = feedbacks + evalFeedbacks;
    List<SimPod> pods = switch (workload) {
      case "synthetic" -> {
        if (trace != null) throw new IllegalArgumentException("--trace needs --workload trace");
        yield ArrivalProcess.synthetic(total, seed, concurrency);
      }
      case "trace" -> (trace == null ? TraceReplay.excerpt() : TraceReplay.read(trace)).pods(total, seed, concurrency);
      default -> throw new IllegalArgumentException("--workload must be synthetic or trace, got '" + workload + "'");
    };
    String label = workload.equals("trace") ? "trace " + (trace == null ? "(built-in openb excerpt)" : trace.toString()) : "synthetic mix";
    PrintWriter err = spec.commandLine().getErr();
    // Since JDK 22 System.console() exists even when redirected; isTerminal() tells a person is watching.
    ProgressBar bar = new ProgressBar(err, !json, System.console() != null && System.console().isTerminal());
    Simulation.Result result = Simulation.run(
        new Simulation.Config(workload, pods, feedbacks, seed, hyper, backend, fraction), bar::update);
    bar.finish();

    LearningCurve curve = new LearningCurve(block);
    for (Simulation.PolicyRun r : result.runs()) curve.add(r.name(), r.outcomes());
    if (csv != null) curve.writeCsv(csv);
    if (plot != null) {
      Map<String, Double> levels = new LinkedHashMap<>();
      levels.put("ppo infer mode (eval)", result.run("ppo").eval().meanReward());
      levels.put("grant_requested (eval)", result.run("grant_requested").eval().meanReward());
      Plot.lines(plot, "edgeppo simulate: " + label + ", seed " + seed, "feedbacks", "mean reward per " + block + " feedbacks",
          curve.x(), curve.curves(), levels);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result.toJson(JSON)));
    } else {
      printTable(out, result, label);
      if (csv != null) out.println("learning curve: " + csv);
      if (plot != null) out.println("plot: " + plot);
    }
    out.flush();
    return 0;
  }

  /** SPEC's defaults, then {@code defaults}, then the file, then the --hp pairs: each later one wins. */
  static Hyperparameters hyperparameters(Map<String, Object> defaults, Path config, Map<String, String> hp) throws IOException {
    ObjectNode o = JSON.valueToTree(defaults);
    if (config != null) {
      JsonNode c = JSON.readTree(Files.readString(config));
      if (c == null || !c.isObject()) throw new IllegalArgumentException(config + ": expected a JSON object of hyperparameters");
      o.setAll((ObjectNode) c);
    }
    for (Map.Entry<String, String> e : hp.entrySet()) {
      JsonNode v;
      try {
        v = JSON.readTree(e.getValue());
      } catch (IOException ex) {
        throw new IllegalArgumentException("--hp " + e.getKey() + ": '" + e.getValue() + "' is not a number or boolean");
      }
      if (v == null || !(v.isNumber() || v.isBoolean())) throw new IllegalArgumentException("--hp " + e.getKey() + ": '" + e.getValue() + "' is not a number or boolean");
      o.set(e.getKey(), v);
    }
    return Hyperparameters.withOverrides(o);
  }

  private static void printTable(PrintWriter out, Simulation.Result r, String label) {
    out.printf(Locale.ROOT, "%s, seed %d: PPO learned from %d feedbacks (%d updates), then everyone was evaluated on the next %d arrivals%n",
        label, r.config().seed(), r.config().trainCount(), r.ppoUpdates(), r.config().pods().size() - r.config().trainCount());
    out.printf(Locale.ROOT, "%-16s %12s %9s %11s | %12s %9s %11s %9s%n", "policy", "mean_reward", "qos_rate", "efficiency",
        "reward(eval)", "qos(eval)", "eff(eval)", "margin");
    Map<String, Double> margins = r.margins();
    for (Simulation.PolicyRun p : r.runs()) {
      PolicyStats t = p.train(), e = p.eval();
      String m = margins.containsKey(p.name()) ? String.format(Locale.ROOT, "%+.4f", margins.get(p.name())) : "";
      out.printf(Locale.ROOT, "%-16s %12.4f %9.3f %11.3f | %12.4f %9.3f %11.3f %9s%n", p.name(), t.meanReward(), t.qosRate(),
          t.utilizationEfficiency(), e.meanReward(), e.qosRate(), e.utilizationEfficiency(), m);
    }
    out.println("margin = PPO's infer-mode mean reward minus the baseline's, on the same evaluation arrivals");
  }

  /** A bar redrawn in place on a terminal; a line per tenth otherwise; nothing when quiet. */
  static final class ProgressBar {
    private final PrintWriter err;
    private final boolean enabled, terminal;
    private int lastShown = -1;

    ProgressBar(PrintWriter err, boolean enabled, boolean terminal) {
      this.err = err;
      this.enabled = enabled;
      this.terminal = terminal;
    }

    void update(long done, long total, String policy) {
      if (!enabled) return;
      int pct = (int) (100 * done / Math.max(1, total));
      if (terminal) {
        if (pct == lastShown) return;
        lastShown = pct;
        int w = 40, filled = pct * w / 100;
        err.print("\r[" + "#".repeat(filled) + " ".repeat(w - filled) + "] " + pct + "% " + policy + "          ");
        err.flush();
      } else if (pct / 10 != lastShown / 10 || lastShown < 0) {
        lastShown = pct;
        err.println("simulate: " + pct + "% (" + policy + ")");
      }
    }

    void finish() {
      if (enabled && terminal) err.println();
    }
  }
}
