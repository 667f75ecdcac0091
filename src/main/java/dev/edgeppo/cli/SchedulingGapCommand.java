package dev.edgeppo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeppo.backend.Backends;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.sim.AllocationPolicy;
import dev.edgeppo.sim.ArrivalProcess;
import dev.edgeppo.sim.PpoPolicy;
import dev.edgeppo.sim.SimNode;
import dev.edgeppo.sim.SimPod;
import dev.edgeppo.sim.SimulationRunner;
import dev.edgeppo.sim.TraceReplay;
import dev.edgeppo.telemetry.Telemetry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code edgeppo scheduling-gap}: what the scheduler could pack if it booked the learned grants instead of
 * the asks (docs/cluster.md, "What scheduling knows"). PPO learns on the simulated node exactly as in {@code
 * simulate} (same defaults, same arrivals), then its infer-mode grants on the evaluation stretch are
 * compared with the asks they answered:
 * <ul>
 *   <li>booked share: Σ grant / Σ ask, for cores and for memory;</li>
 *   <li>pods per GPU, fluid: min(100 / mean cores, 32768 / mean MiB) under each booking;</li>
 *   <li>admission replay: the evaluation pods arrive {@code --offered} times as densely as they were
 *       simulated, and a one-GPU scheduler admits a pod only when the bookings of the pods it holds plus
 *       this one fit in 100 cores and 32768 MiB; the share admitted under each booking.</li>
 * </ul>
 * An upper bound: a node packed by grants runs more pods at once than the node the policy learned on.
 */
@Command(name = "scheduling-gap", mixinStandardHelpOptions = true,
    description = "Measure the packing that PPO's learned grants would allow against what booking the asks allows.")
final class SchedulingGapCommand implements Callable<Integer> {
  @Option(names = "--feedbacks", defaultValue = "20000", description = "feedbacks PPO learns from (default: ${DEFAULT-VALUE})")
  int feedbacks;
  @Option(names = "--eval-feedbacks", defaultValue = "5000", description = "arrivals of the evaluation stretch (default: ${DEFAULT-VALUE})")
  int evalFeedbacks;
  @Option(names = "--seed", defaultValue = "1", description = "seed (default: ${DEFAULT-VALUE})")
  long seed;
  @Option(names = "--workload", defaultValue = "synthetic", description = "synthetic | trace (default: ${DEFAULT-VALUE})")
  String workload;
  @Option(names = "--concurrency", defaultValue = "2", description = "pods on the node on average while learning (default: ${DEFAULT-VALUE})")
  double concurrency;
  @Option(names = "--offered", defaultValue = "4", description = "arrival density of the admission replay, times the simulated one (default: ${DEFAULT-VALUE})")
  double offered;

  private static final ObjectMapper JSON = dev.edgeppo.json.Json.MAPPER;

  /** PPO's policy, remembering what it granted each evaluation pod. */
  private static final class Recording implements AllocationPolicy {
    final AllocationPolicy inner;
    final Map<Integer, Grant> evalGrants;

    Recording(AllocationPolicy inner, Map<Integer, Grant> evalGrants) {
      this.inner = inner;
      this.evalGrants = evalGrants;
    }

    @Override public String name() { return inner.name(); }

    @Override
    public Grant allocate(SimPod pod, Telemetry node, boolean evaluation) {
      Grant g = inner.allocate(pod, node, evaluation);
      if (evaluation) evalGrants.put(pod.index(), g);
      return g;
    }

    @Override
    public double feedback(Grant grant, double actualUsage, boolean qosMet, int pods, boolean done) {
      return inner.feedback(grant, actualUsage, qosMet, pods, done);
    }

    @Override public void close() { inner.close(); }
  }

  @Override
  public Integer call() throws Exception {
    if (feedbacks < 1 || evalFeedbacks < 1) throw new IllegalArgumentException("--feedbacks and --eval-feedbacks must be >= 1");
    if (!(offered >= 1)) throw new IllegalArgumentException("--offered must be >= 1, got " + offered);
    // serve's defaults, as simulate learns with them.
    Hyperparameters hyper = Hyperparameters.serving();
    int total = feedbacks + evalFeedbacks;
    List<SimPod> pods = switch (workload) {
      case "synthetic" -> ArrivalProcess.synthetic(total, seed, concurrency);
      case "trace" -> TraceReplay.excerpt().pods(total, seed, concurrency);
      default -> throw new IllegalArgumentException("--workload must be synthetic or trace, got '" + workload + "'");
    };
    Map<Integer, AllocationPolicy.Grant> grants = new HashMap<>();
    try (PpoLearner learner = dev.edgeppo.agent.Agent.learner(hyper, Backends.choose("cpu").backend(), seed, null)) {
      SimulationRunner.run(pods, feedbacks, node -> new Recording(PpoPolicy.training(learner, node, seed), grants), n -> {});
    }
    List<SimPod> eval = pods.subList(feedbacks, pods.size());
    double askCores = 0, askMem = 0, grantCores = 0, grantMem = 0;
    for (SimPod p : eval) {
      AllocationPolicy.Grant g = grants.get(p.index());
      askCores += p.requestCores();
      askMem += p.requestMemoryMb();
      grantCores += g.cores();
      grantMem += g.memoryMb();
    }
    int n = eval.size();
    double fluidAsk = Math.min(100 / (askCores / n), SimNode.TOTAL_MIB / (askMem / n));
    double fluidGrant = Math.min(100 / (grantCores / n), SimNode.TOTAL_MIB / (grantMem / n));
    double admittedAsk = admitted(eval, offered, p -> new long[] {p.requestCores(), p.requestMemoryMb()});
    double admittedGrant = admitted(eval, offered, p -> new long[] {grants.get(p.index()).cores(), grants.get(p.index()).memoryMb()});

    ObjectNode out = JSON.createObjectNode();
    out.put("workload", workload).put("seed", seed).put("feedbacks", feedbacks).put("eval_pods", n).put("offered", offered);
    out.put("booked_share_cores", round(grantCores / askCores)).put("booked_share_memory", round(grantMem / askMem));
    out.put("pods_per_gpu_booking_ask", round(fluidAsk)).put("pods_per_gpu_booking_grant", round(fluidGrant));
    out.put("admitted_booking_ask", round(admittedAsk)).put("admitted_booking_grant", round(admittedGrant));
    System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    return 0;
  }

  /** Share of {@code pods} a one-GPU scheduler admits with arrivals {@code offered} times denser, booking {@code book}. */
  static double admitted(List<SimPod> pods, double offered, java.util.function.Function<SimPod, long[]> book) {
    long t0 = pods.getFirst().arrivalS();
    record Held(double end, long cores, long mem) {}
    PriorityQueue<Held> held = new PriorityQueue<>((a, b) -> Double.compare(a.end(), b.end()));
    long cores = 0, mem = 0;
    int admitted = 0;
    for (SimPod p : pods) {
      double at = (p.arrivalS() - t0) / offered;
      while (!held.isEmpty() && held.peek().end() <= at) {
        Held h = held.poll();
        cores -= h.cores();
        mem -= h.mem();
      }
      long[] b = book.apply(p);
      if (cores + b[0] <= 100 && mem + b[1] <= SimNode.TOTAL_MIB) {
        held.add(new Held(at + p.lifetimeS(), b[0], b[1]));
        cores += b[0];
        mem += b[1];
        admitted++;
      }
    }
    return (double) admitted / pods.size();
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
