package dev.edgeppo.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.agent.Reward;
import dev.edgeppo.cli.Main;
import dev.edgeppo.ppo.Hyperparameters;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** simulate through the command line users run, and the runner's bookkeeping. */
class SimulateCommandTest {
  @TempDir Path dir;

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter(), err = new StringWriter();
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void printsOneJsonObjectPerPolicyAndNothingElse() throws Exception {
    Path csv = dir.resolve("curve.csv"), png = dir.resolve("curve.png");
    Run r = run("simulate", "--feedbacks", "600", "--eval-feedbacks", "200", "--seed", "3", "--json", "--block", "100",
        "--csv", csv.toString(), "--plot", png.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals("", r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    JsonNode p = j.get("policies");
    for (String name : List.of("ppo", "grant_requested", "fixed_fraction", "random")) {
      JsonNode s = p.get(name);
      for (String f : List.of("mean_reward", "qos_rate", "utilization_efficiency", "mean_reward_last")) {
        assertTrue(s.get(f).isNumber(), name + "." + f);
      }
      assertTrue(s.get("qos_rate").asDouble() >= 0 && s.get("qos_rate").asDouble() <= 1);
    }
    assertEquals(600 / 256, j.get("ppo_updates").asInt(), "an update every 256 training feedbacks (simulate's batch)");
    assertEquals(p.get("ppo").get("mean_reward_last").asDouble() - p.get("random").get("mean_reward_last").asDouble(),
        j.get("margins").get("random").asDouble(), 1e-12);
    List<String> lines = Files.readAllLines(csv);
    assertEquals("feedbacks,ppo,grant_requested,fixed_fraction,random", lines.getFirst());
    assertEquals(1 + 6, lines.size());
    assertTrue(Files.size(png) > 1000);
  }

  /** Several updates run (batch 256), so the learning itself is reproduced bit for bit, not just the arrivals. */
  @Test
  void theSameSeedGivesTheSameReport() {
    String[] args = {"simulate", "--feedbacks", "1200", "--eval-feedbacks", "100", "--seed", "11", "--json", "--workload", "trace"};
    Run a = run(args), b = run(args);
    assertEquals(0, a.code(), a.err());
    assertTrue(a.out().replace(" ", "").contains("\"ppo_updates\":4"), a.out());
    assertEquals(a.out(), b.out());
    Run c = run("simulate", "--feedbacks", "1200", "--eval-feedbacks", "100", "--seed", "12", "--json", "--workload", "trace");
    assertNotEquals(a.out(), c.out());
  }

  @Test
  void refusesBadInputWithAClearMessage() {
    Run r = run("simulate", "--workload", "cloud", "--json");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("--workload must be synthetic or trace, got 'cloud'"), r.err());
    r = run("simulate", "--feedbacks", "0");
    assertTrue(r.err().contains("--feedbacks must be >= 1"), r.err());
    r = run("simulate", "--hp", "gama=0.5");
    assertTrue(r.err().contains("unknown hyperparameter 'gama'"), r.err());
    r = run("simulate", "--workload", "trace", "--trace", dir.resolve("missing.csv").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("missing.csv"), r.err());
  }

  @Test
  void everyPolicyIsScoredBySpecsRewardOnTheSameArrivals() {
    List<SimPod> pods = ArrivalProcess.synthetic(400, 5, 2.0);
    Hyperparameters hp = Hyperparameters.defaults();
    Simulation.Result res = Simulation.run(new Simulation.Config("synthetic", pods, 300, 5, hp, "cpu", 0.5), (d, t, n) -> {});
    for (Simulation.PolicyRun run : res.runs()) {
      assertEquals(pods.size(), run.outcomes().size(), run.name() + ": one feedback per pod");
      assertEquals(pods.size(), run.outcomes().stream().mapToInt(SimulationRunner.Outcome::podIndex).distinct().count());
      for (SimulationRunner.Outcome o : run.outcomes()) {
        assertEquals(Reward.of(o.grantCores(), o.actualUsage(), o.qosMet(), o.pods()), o.reward(), 1e-6, run.name());
        assertEquals(o.podIndex() >= 300, o.evaluation());
        assertTrue(o.grantCores() <= pods.get(o.podIndex()).requestCores(), "never more than asked");
        if (o.oom()) assertTrue(!o.qosMet() && o.actualUsage() == 0);
      }
    }
    for (SimulationRunner.Outcome o : res.run("grant_requested").outcomes())
      assertEquals(pods.get(o.podIndex()).requestCores(), o.grantCores());
    for (SimulationRunner.Outcome o : res.run("fixed_fraction").outcomes())
      assertEquals(Math.max(1, Math.round(0.5 * pods.get(o.podIndex()).requestCores())), o.grantCores());
  }

  @Test
  void arrivalsArePureFunctionsOfTheSeed() {
    assertEquals(ArrivalProcess.synthetic(50, 9, 2.0), ArrivalProcess.synthetic(50, 9, 2.0));
    assertNotEquals(ArrivalProcess.synthetic(50, 9, 2.0), ArrivalProcess.synthetic(50, 10, 2.0));
    Map<WorkloadClass, Long> mix = ArrivalProcess.synthetic(20_000, 1, 2.0).stream()
        .collect(java.util.stream.Collectors.groupingBy(SimPod::workload, java.util.stream.Collectors.counting()));
    assertEquals(0.5, mix.get(WorkloadClass.INFERENCE) / 20_000.0, 0.015);
    assertEquals(0.25, mix.get(WorkloadClass.TRAINING) / 20_000.0, 0.015);
  }
}
