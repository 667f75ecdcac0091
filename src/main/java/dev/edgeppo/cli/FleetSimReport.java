package dev.edgeppo.cli;

import dev.edgeppo.json.Json;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.sim.FleetSim;
import dev.edgeppo.sim.TraceReplay;
import dev.edgeppo.sim.UsageModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ParseResult;

/** {@code simulate --nodes N}: kept beside {@link SimulateCommand} so that the suite's command stays as it is. */
final class FleetSimReport {
  static final String DEFAULT_SCENARIO = "uniform_overstate";
  static final List<Integer> DEFAULT_CHECKPOINTS = List.of(250, 500, 1000);
  static final int DEFAULT_EVAL = 1000;

  private FleetSimReport() {}

  static int run(SimulateCommand s) throws IOException, InterruptedException {
    ParseResult pr = s.spec.commandLine().getParseResult();
    List<String> scenarios = pr.hasMatchedOption("--scenarios") ? s.scenarios : List.of(DEFAULT_SCENARIO);
    List<Integer> checkpoints = pr.hasMatchedOption("--checkpoints") ? s.checkpoints : DEFAULT_CHECKPOINTS;
    int eval = pr.hasMatchedOption("--eval-feedbacks") ? s.evalFeedbacks : DEFAULT_EVAL;
    Hyperparameters hp = s.learner.hyperparameters(Map.of("profile", s.profile));
    TraceReplay t = s.trace == null ? TraceReplay.excerpt() : TraceReplay.read(s.trace);
    PrintWriter out = s.spec.commandLine().getOut();
    for (String scenario : scenarios) {
      FleetSim.Config c = new FleetSim.Config(UsageModel.of(scenario), s.arrivals, s.seeds, s.nodes, s.badNodes, checkpoints, eval, s.syncEvery, s.fleetStep, hp,
          s.learner.backend, s.concurrency, t,
          dev.edgeppo.fleet.FleetMember.Sharing.of(s.fleetShare), FleetSim.BadKind.of(s.badKind));
      FleetSim.Result r = FleetSim.run(c);
      if (s.learner.json) out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(FleetSim.toJson(r, Json.MAPPER)));
      else FleetSim.printTable(out, r);
      out.flush();
    }
    return 0;
  }
}
