package dev.edgeppo.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.agent.Reward;
import dev.edgeppo.cli.Main;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** simulate through the command line users run, and the scoring every policy shares. */
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

  static final String[] SMALL = {"simulate", "--scenarios", "classes,cotenants", "--seeds", "3", "--checkpoints", "64,128",
      "--eval-feedbacks", "60", "--json", "--threads", "2"};

  @Test
  void printsTheSuiteAsOneJsonObjectAndNothingElse() throws Exception {
    Path png = dir.resolve("suite.png");
    String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(SMALL), java.util.stream.Stream.of("--plot", png.toString()))
        .toArray(String[]::new);
    Run r = run(args);
    assertEquals(0, r.code(), r.err());
    assertEquals("", r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals("edge", j.get("suite").get("hyperparameters").get("profile").asText(), "serve's defaults unless told otherwise");
    assertEquals(Hyperparameters.serving(), new ObjectMapper().treeToValue(j.get("suite").get("hyperparameters"), Hyperparameters.class));
    assertEquals(4, j.get("summary").size(), "2 scenarios x 2 arrival shapes");
    assertEquals(4, j.get("cells").size(), "one seed");
    for (JsonNode cell : j.get("cells")) {
      for (String cp : List.of("0", "64", "128"))
        for (String p : Suite.POLICIES) {
          JsonNode s = cell.get("eval").get(cp).get(p);
          assertTrue(s.get("mean_reward").isNumber(), p + "@" + cp);
          if (p.equals("bound")) {
            // Worked out, not simulated: only the share of pods some grant could serve, which no policy's QoS rate
            // exceeds; above every policy scored on the same arrivals.
            assertEquals(2, s.size(), s.toString());
            for (String q : Suite.POLICIES) {
              assertTrue(cell.get("eval").get(cp).get(q).get("mean_reward").asDouble() <= s.get("mean_reward").asDouble() + 1e-9, q);
              if (!q.equals("bound")) assertTrue(cell.get("eval").get(cp).get(q).get("qos_rate").asDouble() <= s.get("servable_share").asDouble() + 1e-12, q);
            }
            continue;
          }
          if (p.equals("hindsight"))
            // Searched from every simulated policy's grants: never below one of them.
            for (String q : Suite.SIMULATED) assertTrue(cell.get("eval").get(cp).get(q).get("mean_reward").asDouble() <= s.get("mean_reward").asDouble() + 1e-9, q);
          assertTrue(s.get("qos_rate").asDouble() >= 0 && s.get("qos_rate").asDouble() <= 1);
          // Pods the observer and the truth judge differently are at least the difference of their rates.
          double seen = s.get("observed_qos_rate").asDouble(), agree = s.get("qos_agreement").asDouble();
          assertTrue(seen >= 0 && seen <= 1 && agree >= 0, s.toString());
          assertTrue(agree <= 1 - Math.abs(seen - s.get("qos_rate").asDouble()) + 1e-12, s.toString());
          assertTrue(s.get("grant_share").asDouble() > 0 && s.get("grant_share").asDouble() <= 1 + 1e-12, "never above the ask");
        }
      assertEquals(1.0, cell.get("eval").get("64").get("grant_requested").get("grant_share").asDouble(), 1e-12);
      assertEquals(4, cell.get("learner").get("128").get("updates").asInt(), "an update every 32 feedbacks");
      assertTrue(cell.get("train").get("128").get("ppo").get("mean_reward").isNumber());
    }
    JsonNode row = j.get("summary").get(0);
    double grant = row.get("eval").get("128").get("grant_requested").asDouble(), aware = row.get("eval").get("128").get("demand_aware").asDouble();
    double ppo = row.get("eval").get("128").get("ppo").asDouble(), hindsight = row.get("eval").get("128").get("hindsight").asDouble();
    if (aware - grant >= Suite.HEADROOM) assertEquals((ppo - grant) / (hindsight - grant), row.get("captured").get("128").asDouble(), 1e-9);
    else assertTrue(row.get("captured").get("128").isNull());
    JsonNode first = j.get("cells").get(0).get("first_stretch");
    assertEquals(128, first.get("pods").asInt(), "the first stretch is the first 1,000 or the whole training, whichever is shorter");
    int grouped = 0;
    for (var it = first.properties().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (e.getKey().equals("pods")) continue;
      grouped += e.getValue().get("pods").asInt();
    }
    assertEquals(128, grouped, "every pod of the stretch in one group");
    assertTrue(j.get("criteria").get("met").isBoolean());
    assertTrue(Files.size(png) > 1000);
  }

  /** Several updates run in each cell, so the learning itself is reproduced bit for bit, not just the arrivals. */
  @Test
  void theSameSeedGivesTheSameReport() {
    Run a = run(SMALL), b = run(SMALL);
    assertEquals(0, a.code(), a.err());
    assertEquals(a.out(), b.out());
    String[] other = SMALL.clone();
    other[4] = "4";
    assertNotEquals(a.out(), run(other).out());
  }

  @Test
  void refusesBadInputWithAClearMessage() {
    Run r = run("simulate", "--scenarios", "cloudy", "--json");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("unknown scenario 'cloudy'"), r.err());
    r = run("simulate", "--checkpoints", "0");
    assertTrue(r.err().contains("checkpoints must be >= 1"), r.err());
    r = run("simulate", "--arrivals", "cloud");
    assertTrue(r.err().contains("arrivals must be among [trace, synthetic]"), r.err());
    r = run("simulate", "--hp", "gama=0.5");
    assertTrue(r.err().contains("unknown hyperparameter 'gama'"), r.err());
    r = run("simulate", "--profile", "fast");
    assertTrue(r.err().contains("profile must be one of [edge, seed]"), r.err());
    r = run("simulate", "--trace", dir.resolve("missing.csv").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("missing.csv"), r.err());
  }

  @Test
  void everyPolicyIsScoredBySpecsRewardOnTheSameArrivals() {
    List<SimPod> pods = UsageModel.COTENANTS.apply(ArrivalProcess.synthetic(400, 5, 2.0), 5);
    CoTenants co = UsageModel.COTENANTS.coTenants(5);
    PpoLearner learner = PpoLearner.fresh(Hyperparameters.serving(), new CpuBackend(), 5);
    Map<String, Function<SimNode, AllocationPolicy>> policies = Map.of(
        "ppo", node -> PpoPolicy.training(learner, node, 5),
        "grant_requested", node -> Baseline.grantRequested(),
        "fixed_fraction", node -> Baseline.fixedFraction(0.5),
        "random", node -> Baseline.random(5, Hyperparameters.serving().actionMapping()),
        "demand_aware", node -> Baseline.demandAware());
    policies.forEach((name, p) -> {
      List<SimulationRunner.Outcome> out = SimulationRunner.run(pods, pods.size(), co, p, n -> {});
      assertEquals(pods.size(), out.size(), name + ": one feedback per pod");
      assertEquals(pods.size(), out.stream().mapToInt(SimulationRunner.Outcome::podIndex).distinct().count());
      for (SimulationRunner.Outcome o : out) {
        assertEquals(Reward.of(o.grantCores(), o.actualUsage(), o.qosMet(), o.pods()), o.reward(), 1e-6, name);
        SimPod pod = pods.get(o.podIndex());
        assertTrue(o.grantCores() <= pod.requestCores(), "never more than asked");
        if (!name.equals("fixed_fraction")) assertTrue(o.grantCores() >= Math.min(10, pod.requestCores()), name + ": at least min(10, ask)");
        assertTrue(o.pods() >= 2, "co-tenants count as pods");
        if (o.oom()) assertTrue(!o.qosMet() && o.actualUsage() == 0);
        if (name.equals("grant_requested")) assertEquals(pod.requestCores(), o.grantCores());
        if (name.equals("fixed_fraction")) assertEquals(Math.max(1, Math.round(0.5 * pod.requestCores())), o.grantCores());
      }
    });
    assertEquals(12, learner.updates(), "the agent trained on its feedback: 400 / 32 updates");
  }

  /** Alone on the node, the demand-aware reference grants a steady pod its peak demand (and no more) and beats granting the ask. */
  @Test
  void theDemandAwareReferenceGrantsWhatThePodNeeds() {
    SimPod p = new SimPod(0, "p0", WorkloadClass.TRAINING, 0, 600, 80, 4096, 2048, 40, 0, 0, 0, 0, 77);
    SimNode node = new SimNode();
    AllocationPolicy.Grant g = Baseline.demandAware().allocate(p, node, false);
    double peak = 40 * 1.03; // its level at the top of the training class's ±3 % jitter
    assertEquals(peak, p.peakDemand(), 1e-9);
    assertTrue(g.cores() >= Math.ceil(0.9 * peak) && g.cores() <= Math.ceil(peak), g + " for a peak of " + peak);
    assertEquals(4096, g.memoryMb());
    double aware = SimulationRunner.run(List.of(p), 1, n -> Baseline.demandAware(), x -> {}).getFirst().reward();
    double grant = SimulationRunner.run(List.of(p), 1, n -> Baseline.grantRequested(), x -> {}).getFirst().reward();
    assertTrue(aware > grant + 0.2, aware + " vs " + grant);
  }

  /** Points before the shift are scored on the first model: the same asks and draws, no pod past the shift changed. */
  @Test
  void pointsBeforeTheShiftMeetTheModelInForceThen() {
    Suite.Config c = new Suite.Config(List.of(UsageModel.SHIFT, UsageModel.BURSTY), List.of("synthetic"), List.of(4L), List.of(100, 300), 200,
        Hyperparameters.serving(), "cpu", 0.5, 2.0, TraceReplay.excerpt(), 1);
    Suite.Cell shift = new Suite.Cell(UsageModel.SHIFT, "synthetic", 4), bursty = new Suite.Cell(UsageModel.BURSTY, "synthetic", 4);
    assertEquals(150, Suite.shiftAt(c));
    List<SimPod> shifted = Suite.pods(c, shift), unshifted = Suite.pods(c, shift, Integer.MAX_VALUE);
    assertEquals(shifted.subList(0, 150), unshifted.subList(0, 150));
    for (int i = 150; i < shifted.size(); i++) {
      assertEquals(shifted.get(i).requestCores(), unshifted.get(i).requestCores());
      // After the shift small asks use 90-100 % of the ask; before it, a third to a half.
      if (shifted.get(i).requestCores() <= UsageModel.SMALL_ASK) {
        assertTrue(shifted.get(i).baseDemand() >= 0.9 * shifted.get(i).requestCores());
        assertTrue(unshifted.get(i).baseDemand() <= 0.5 * unshifted.get(i).requestCores() + 1e-9);
      }
    }
    assertEquals(Suite.pods(c, bursty), Suite.pods(c, bursty, Integer.MAX_VALUE), "only the shift has a second model");
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
