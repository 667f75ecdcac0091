package dev.edgeppo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.json.Json;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.sim.Plot;
import dev.edgeppo.sim.PolicyStats;
import dev.edgeppo.sim.Suite;
import dev.edgeppo.sim.TraceReplay;
import dev.edgeppo.sim.UsageModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code edgeppo simulate}: the agent, with serve's defaults, against the scenario suite on a simulated GPU node. */
@Command(name = "simulate", mixinStandardHelpOptions = true, sortOptions = false,
    subcommands = PendulumCommand.class,
    description = {
        "Runs the agent (the same allocation, mapping, reward, buffer and training code as serve, with serve's "
            + "defaults) against a simulated GPU node on a suite of hidden-usage scenarios, each on trace-shaped asks "
            + "and on the synthetic mix, for several seeds. PPO learns from scratch; untrained and at each checkpoint "
            + "its frozen policy (infer mode) is scored on the arrivals that follow, beside grant_requested, "
            + "fixed_fraction, random, a demand-aware reference that knows each pod's demand, a hindsight reference "
            + "(grants searched, knowing every pod's future, for the best total reward under contention, starting "
            + "from every other policy's grants) and a proven upper bound; from the checkpoint the share criterion reads on, also a state-limited "
            + "reference (the best table from SPEC §1's state to a share of the ask, searched knowing the future).",
        "Prints, per scenario, PPO's margins over grant_requested, the share of the hindsight reference's headroom "
            + "it captured, "
            + "where its first thousand feedbacks lost, and "
            + "whether SPEC §6's criteria hold. Trace asks come from Alibaba's openb trace (a 300-pod excerpt is "
            + "built in; the full trace is csv/openb_pod_list_default.csv of alibaba/clusterdata, "
            + "cluster-trace-gpu-v2023: pass it with --trace)."})
final class SimulateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin LearnerOptions learner;

  @Option(names = "--scenarios", split = ",", description = "usage models (default: all of ${COMPLETION-CANDIDATES})",
      completionCandidates = ScenarioNames.class)
  List<String> scenarios = new ArrayList<>(UsageModel.names());
  @Option(names = "--arrivals", split = ",", description = "arrival shapes: trace, synthetic (default: both)")
  List<String> arrivals = new ArrayList<>(Suite.ARRIVALS);
  @Option(names = "--seeds", split = ",", defaultValue = "1,2,3", description = "seeds of arrivals, hidden usage, initialisation and sampling (default: ${DEFAULT-VALUE})")
  List<Long> seeds;
  @Option(names = "--checkpoints", split = ",", defaultValue = "250,500,1000,3000", description = "feedbacks after which PPO is scored (default: ${DEFAULT-VALUE})")
  List<Integer> checkpoints;
  @Option(names = "--eval-feedbacks", defaultValue = "2000", description = "arrivals each policy is scored on at each checkpoint (default: ${DEFAULT-VALUE})")
  int evalFeedbacks;
  @Option(names = "--profile", defaultValue = Hyperparameters.DEFAULT_PROFILE, description = "hyperparameter profile, as serve's (default: ${DEFAULT-VALUE}; seed: the seed's values)")
  String profile;
  @Option(names = "--trace", description = "openb pod list CSV for the trace arrivals (default: the built-in excerpt)")
  Path trace;
  @Option(names = "--concurrency", defaultValue = "2", description = "pods on the node on average (default: ${DEFAULT-VALUE})")
  double concurrency;
  @Option(names = "--fraction", defaultValue = "0.5", description = "share of the asked cores the fixed_fraction baseline grants (default: ${DEFAULT-VALUE})")
  double fraction;
  @Option(names = "--slo-share", description = "share of simulated pods that declare a service level (p99 latency from "
      + "a queueing model, judged by the node's own scrape parser and judge) (default: " + Suite.DEFAULT_SLO_SHARE + ")")
  double sloShare = Suite.DEFAULT_SLO_SHARE;
  @Option(names = "--threads", description = "cells simulated side by side (default: the processors)")
  Integer threads;
  @Option(names = "--nodes", defaultValue = "0", description = "N > 0: a fleet of N nodes learning together (SPEC §7) beside the same nodes alone; "
      + "checkpoints then default to 250,500,1000 feedbacks per node, the scenario to " + FleetSimReport.DEFAULT_SCENARIO)
  int nodes;
  @Option(names = "--bad-nodes", defaultValue = "0", description = "with --nodes: this many of the nodes learn from random feedback (default: ${DEFAULT-VALUE})")
  int badNodes;
  @Option(names = "--bad-kind", defaultValue = "random", description = "with --bad-nodes: random (usage uniform, QoS by a coin) or slow_gpu "
      + "(a GPU half as fast: pods use twice the share) (default: ${DEFAULT-VALUE})")
  String badKind;
  // 4, not 32: serve syncs every 60 s, and an edge node sees a few pods an hour, so a real round carries a feedback or
  // two per node; 4 is still slower than that, and the fleet learns faster the more often it syncs (docs/fleet.md, "Measured").
  @Option(names = "--sync-every", defaultValue = "4", description = "with --nodes: feedbacks per node between two fleet syncs (default: ${DEFAULT-VALUE})")
  int syncEvery;
  @Option(names = "--fleet-step", defaultValue = "" + dev.edgeppo.fleet.FleetNames.DEFAULT_STEP, description = "with --nodes: at most this many nodes' progress added up per merge, as serve's fleet_step (default: ${DEFAULT-VALUE})")
  double fleetStep;
  @Option(names = "--fleet-share", defaultValue = "both", description = "with --nodes: what the nodes share, as serve's fleet_share: both, parameters "
      + "(merged) or experience (trained on) (default: ${DEFAULT-VALUE})")
  String fleetShare;

  static final class ScenarioNames extends ArrayList<String> {
    ScenarioNames() { super(UsageModel.names()); }
  }

  private static final ObjectMapper JSON = Json.MAPPER;

  @Override
  public Integer call() throws IOException, InterruptedException {
    learner.check();
    if (nodes < 0) throw new IllegalArgumentException("--nodes must be >= 0, got " + nodes);
    if (nodes == 0 && badNodes != 0) throw new IllegalArgumentException("--bad-nodes needs --nodes N");
    if (nodes > 0) return FleetSimReport.run(this);
    // serve's defaults: the same profile, then whatever --config / --hp change (none by default).
    Hyperparameters hp = learner.hyperparameters(Map.of("profile", profile));
    List<UsageModel> models = scenarios.stream().map(UsageModel::of).toList();
    TraceReplay t = trace == null ? TraceReplay.excerpt() : TraceReplay.read(trace);
    Suite.Config config = new Suite.Config(models, arrivals, seeds, checkpoints, evalFeedbacks, hp, learner.backend, fraction,
        concurrency, t, threads == null ? Runtime.getRuntime().availableProcessors() : threads, sloShare);
    PrintWriter err = spec.commandLine().getErr();
    Progress bar = new Progress(err, !learner.json);
    Suite.Result result = Suite.run(config, bar::update);
    bar.finish();
    if (learner.plot != null) plot(learner.plot, result);
    PrintWriter out = spec.commandLine().getOut();
    if (learner.json) out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(Suite.toJson(result, JSON)));
    else {
      printTable(out, result);
      if (learner.plot != null) out.println("plot: " + learner.plot);
    }
    out.flush();
    return 0;
  }

  private static String pct(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.0f%%", 100 * v) : "-";
  }

  private static void printTable(PrintWriter out, Suite.Result r) {
    Suite.Config c = r.config();
    out.printf(Locale.ROOT, "profile %s, seeds %s, %d arrivals scored at each point; mean reward per pod, means over the seeds%n",
        c.hp().profile(), c.seeds(), c.evalFeedbacks());
    int judged = c.judged(), capAt = c.capturedAt();
    StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-18s %-9s %7s %7s %7s %7s %7s", "scenario", "arrivals", "grant", "aware", "hindsig", "bound", "ppo@0"));
    for (int cp : c.checkpoints()) head.append(String.format(Locale.ROOT, " %8s", "ppo@" + cp));
    for (int t : c.trainStretches()) head.append(String.format(Locale.ROOT, " %8s", "train" + t));
    head.append(String.format(Locale.ROOT, " %8s %8s", "cap@" + capAt, "aware%"));
    boolean state = c.stateLimitedPoints().contains(capAt);
    if (state) head.append(String.format(Locale.ROOT, " %7s %7s %7s %7s %7s", "state", "state%", "cap/st", "held%", "own%"));
    out.println(head);
    for (Suite.Row row : Suite.rows(r)) {
      Map<String, Double> at0 = row.eval().get(0);
      // grant_requested, the reference and the bound are scored on each checkpoint's arrivals; the last checkpoint's are shown.
      Map<String, Double> atC = row.eval().get(capAt);
      StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-18s %-9s %7.3f %7.3f %7.3f %7.3f %+7.3f", row.scenario().json(),
          row.arrivals(), atC.get("grant_requested"), atC.get("demand_aware"), atC.get("hindsight"), atC.get("bound"), at0.get("ppo") - at0.get("grant_requested")));
      for (int cp : c.checkpoints()) sb.append(String.format(Locale.ROOT, " %+8.3f", row.eval().get(cp).get("ppo") - row.eval().get(cp).get("grant_requested")));
      for (int t : c.trainStretches()) sb.append(String.format(Locale.ROOT, " %+8.3f", row.trainGap().get(t)));
      double awareShare = (atC.get("demand_aware") - atC.get("grant_requested")) / (atC.get("hindsight") - atC.get("grant_requested"));
      sb.append(String.format(Locale.ROOT, " %8s %8s", pct(row.captured().get(capAt)), Double.isFinite(row.captured().get(capAt)) ? pct(awareShare) : "-"));
      if (state) {
        boolean pays = Double.isFinite(row.captured().get(capAt));
        java.util.function.ToDoubleFunction<String> margin = p -> atC.get(p) - atC.get("grant_requested");
        java.util.function.BiFunction<String, String, String> share = (p, of) -> pays ? pct(margin.applyAsDouble(p) / margin.applyAsDouble(of)) : "-";
        sb.append(String.format(Locale.ROOT, " %7.3f %7s %7s %7s %7s", atC.get(Suite.STATE_LIMITED), share.apply(Suite.STATE_LIMITED, "hindsight"),
            share.apply("ppo", Suite.STATE_LIMITED), share.apply(Suite.STATE_LIMITED_HELD_OUT, "hindsight"), share.apply(Suite.STATE_LIMITED_OWN, "hindsight")));
      }
      out.println(sb);
    }
    out.println("grant, aware (the demand-aware reference), hindsig (the hindsight search), bound (proven): mean reward at " + capAt + ";");
    out.println("ppo@N: infer-mode margin over grant_requested (ppo@0: untrained); trainN: train-mode margin over the first N feedbacks;");
    out.println("cap@" + capAt + ": PPO's share of the hindsight reference's headroom");
    out.println("and aware%: the reference's (- where the reference's headroom is under " + Suite.HEADROOM + ": granting less barely pays)");
    if (state) {
      out.println("state: the state-limited reference (the best table from SPEC §1's state to a share of the ask, searched knowing the future), mean reward at " + capAt + ";");
      out.println("state%: its share of the hindsight reference's headroom; cap/st: PPO's share of its headroom;");
      out.println("held%: the share of the hindsight reference's headroom its table holds when fitted on the " + c.heldOutFit(capAt) + " arrivals before;");
      out.println("own%: the share held by the table each bucket settles at choosing for its own pods' reward (a pod's reward does not count its neighbours')");
    }
    for (int cp : c.stateLimitedPoints()) {
      Suite.StateLimitedMedians sm = Suite.stateLimitedMedians(r, cp);
      out.printf(Locale.ROOT, "at %d over %d cells (medians): PPO holds %s of the hindsight reference's headroom, the state-limited reference %s "
          + "(fitted on the arrivals before: %s; chosen for each bucket's own pods: %s), PPO %s of the state-limited reference's%n",
          cp, sm.cells(), pct(sm.hindsightShare()), pct(sm.stateLimitedShare()), pct(sm.heldOutShare()), pct(sm.ownShare()), pct(sm.ppoShare()));
    }
    for (String p : List.of("grant_requested", "ppo"))
      out.printf(Locale.ROOT, "observer at %d, %s: judged %s of pods served, truly served %s, verdicts agreed on %s%n", judged, p,
          pct(meanStat(r, judged, p, PolicyStats::observedQosRate)), pct(meanStat(r, judged, p, PolicyStats::qosRate)),
          pct(meanStat(r, judged, p, PolicyStats::qosAgreement)));
    out.printf(Locale.ROOT, "observer's agreement with the truth at %d, pods declaring a service level (%.0f%% of pods) / the others:%n",
        judged, 100 * c.sloShare());
    for (Suite.Row row : Suite.rows(r)) {
      StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "  %-18s %-9s", row.scenario().json(), row.arrivals()));
      for (String p : List.of("grant_requested", "ppo")) {
        java.util.function.Predicate<Suite.CellResult> in = x -> x.cell().scenario() == row.scenario() && x.cell().arrivals().equals(row.arrivals());
        sb.append(String.format(Locale.ROOT, "  %s %s / %s", p, pct(meanStat(r, in, judged, p, PolicyStats::qosAgreementDeclared)),
            pct(meanStat(r, in, judged, p, PolicyStats::qosAgreementUndeclared))));
      }
      out.println(sb);
    }
    out.println("where the first " + Suite.FIRST_STRETCH + " lost against grant_requested (train mode, the costliest groups of the first seed's cells):");
    for (Suite.CellResult cr : r.cells()) {
      if (cr.cell().seed() != c.seeds().getFirst()) continue;
      out.printf(Locale.ROOT, "  %s/%s: %s%n", cr.cell().scenario().json(), cr.cell().arrivals(), String.join("; ", cr.losses().worst(2)));
    }
    List<String> f = Suite.failures(r);
    if (f.isEmpty()) out.println("SPEC §6 criteria: met in every cell and over the cells");
    else {
      out.println("SPEC §6 criteria: " + f.size() + " failure(s)");
      f.forEach(x -> out.println("  " + x));
    }
  }

  /** {@code stat} of policy {@code p} scored at checkpoint {@code cp}, averaged over the cells. */
  private static double meanStat(Suite.Result r, java.util.function.Predicate<Suite.CellResult> in, int cp, String p,
                                 ToDoubleFunction<PolicyStats> stat) {
    return r.cells().stream().filter(in).mapToDouble(x -> stat.applyAsDouble(x.eval().get(cp).get(p).stats()))
        .filter(Double::isFinite).average().orElse(Double.NaN);
  }

  private static double meanStat(Suite.Result r, int cp, String p, ToDoubleFunction<PolicyStats> stat) {
    return r.cells().stream().mapToDouble(x -> stat.applyAsDouble(x.eval().get(cp).get(p).stats())).average().orElse(Double.NaN);
  }

  private static void plot(Path png, Suite.Result r) throws IOException {
    List<Integer> cps = r.config().checkpoints();
    double[] x = cps.stream().mapToDouble(Integer::doubleValue).toArray();
    Map<String, double[]> series = new LinkedHashMap<>();
    for (Suite.Row row : Suite.rows(r)) {
      double[] y = cps.stream().mapToDouble(cp -> row.captured().get(cp)).toArray();
      if (java.util.Arrays.stream(y).allMatch(Double::isFinite)) series.put(row.scenario().json() + "/" + row.arrivals(), y);
    }
    Plot.lines(png, "edgeppo simulate: share of the hindsight reference's headroom PPO captures (profile " + r.config().hp().profile() + ")",
        "feedbacks", "captured share", x, series, Map.of("grant_requested", 0.0, "hindsight", 1.0));
  }

  /** A line per tenth on stderr; nothing when quiet. Called from the suite's threads. */
  static final class Progress {
    private final PrintWriter err;
    private final boolean enabled;
    private int lastShown = -1;

    Progress(PrintWriter err, boolean enabled) {
      this.err = err;
      this.enabled = enabled;
    }

    synchronized void update(long done, long total) {
      if (!enabled) return;
      int tenth = (int) (10 * done / Math.max(1, total));
      if (tenth == lastShown) return;
      lastShown = tenth;
      err.println("simulate: " + 10 * tenth + "%");
      err.flush();
    }

    void finish() {}
  }
}
