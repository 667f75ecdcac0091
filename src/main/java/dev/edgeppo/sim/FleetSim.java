package dev.edgeppo.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeppo.backend.Backends;
import dev.edgeppo.fleet.CoreLearner;
import dev.edgeppo.fleet.FleetMember;
import dev.edgeppo.fleet.FleetStore;
import dev.edgeppo.fleet.InMemoryFleetStore;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code simulate --nodes N}: a fleet of N simulated nodes that learn together through the very
 * {@link FleetMember} that {@code serve --fleet} runs, against an {@link InMemoryFleetStore} (the API server's
 * semantics), beside the same N nodes learning alone. Node i has arrivals of its own (shape trace or synthetic,
 * alternately, and seed 1000·seed + i) under the scenario's hidden usage; the last {@code badNodes} nodes learn
 * from bad feedback ({@link BadKind}), as an agent with a broken observer or a different GPU would.
 *
 * <p>The fleet syncs in rounds, every {@code syncEvery} feedbacks of each node: every node writes its object,
 * then every node reads, merges and trains on its peers' new experiences (docs/fleet.md, "Experience"). Nodes run on threads of their own and meet at a barrier around each round,
 * so a seed fixes the whole run. At each checkpoint (feedbacks per node) each node's policy is frozen and
 * scored in infer mode on the {@code evalFeedbacks} arrivals that follow on that node, as is grant_requested:
 * the table shows the margin of one over the other, for the node alone and in the fleet.
 */
public final class FleetSim {
  /** "Never below granting every ask" allows this much noise of the scoring (a margin of −0.005 is a tie). */
  public static final double TIE = 0.005;
  public static final String FLEET = "sim";

  /**
   * What a bad node hears. {@code random}: usage uniform in 0-100 %, QoS by a coin (a broken observer).
   * {@code slow_gpu}: a GPU half as fast as the others', so its pods use twice the share (at most 100 %) and miss
   * their QoS when granted less than that: consistent feedback, but of another node's problem.
   */
  public enum BadKind {
    RANDOM, SLOW_GPU;

    public String json() { return name().toLowerCase(Locale.ROOT); }

    public static BadKind of(String s) {
      for (BadKind k : values()) if (k.json().equals(s)) return k;
      throw new IllegalArgumentException("--bad-kind must be random or slow_gpu, got '" + s + "'");
    }
  }

  public record Config(UsageModel scenario, List<String> arrivals, List<Long> seeds, int nodes, int badNodes, List<Integer> checkpoints,
                       int evalFeedbacks, int syncEvery, double step, Hyperparameters hp, String backend, double concurrency, TraceReplay trace,
                       FleetMember.Sharing sharing, BadKind badKind) {
    /** Sharing parameters and experience, as serve does; bad nodes hear random feedback. */
    public Config(UsageModel scenario, List<String> arrivals, List<Long> seeds, int nodes, int badNodes, List<Integer> checkpoints,
                  int evalFeedbacks, int syncEvery, double step, Hyperparameters hp, String backend, double concurrency, TraceReplay trace) {
      this(scenario, arrivals, seeds, nodes, badNodes, checkpoints, evalFeedbacks, syncEvery, step, hp, backend, concurrency, trace,
          FleetMember.Sharing.BOTH, BadKind.RANDOM);
    }

    public Config {
      java.util.Objects.requireNonNull(sharing);
      java.util.Objects.requireNonNull(badKind);
      seeds = List.copyOf(seeds);
      arrivals = List.copyOf(arrivals);
      for (String a : arrivals)
        if (!Suite.ARRIVALS.contains(a)) throw new IllegalArgumentException("arrivals must be among " + Suite.ARRIVALS + ", got '" + a + "'");
      if (arrivals.isEmpty()) throw new IllegalArgumentException("at least one arrival shape");
      checkpoints = checkpoints.stream().sorted().distinct().toList();
      if (nodes < 1) throw new IllegalArgumentException("--nodes must be >= 1, got " + nodes);
      if (badNodes < 0 || badNodes >= nodes) throw new IllegalArgumentException("--bad-nodes must be in 0.." + (nodes - 1) + ", got " + badNodes);
      if (checkpoints.isEmpty() || checkpoints.getFirst() < 1) throw new IllegalArgumentException("checkpoints must be >= 1");
      if (syncEvery < 1) throw new IllegalArgumentException("--sync-every must be >= 1, got " + syncEvery);
      if (evalFeedbacks < 1) throw new IllegalArgumentException("eval feedbacks must be >= 1");
      if (seeds.isEmpty()) throw new IllegalArgumentException("at least one seed");
    }

    int trainCount() { return checkpoints.getLast(); }

    boolean bad(int node) { return node >= nodes - badNodes; }

    String arrivals(int node) { return arrivals.get(node % arrivals.size()); }
  }

  /** One node of one seed: its margins over grant_requested at each checkpoint, alone and in the fleet. */
  public record NodeResult(long seed, int node, String arrivals, boolean bad, Map<Integer, Double> alone, Map<Integer, Double> fleet,
                           Map<Integer, Double> grantReward) {}

  /**
   * Also the fleet's API traffic in the simulation: writes and bytes of the in-memory store, merges per node; and
   * the peers' experiences the nodes trained on and refused (docs/fleet.md, "Experience").
   */
  public record Result(Config config, List<NodeResult> nodes, long writes, long bytesWritten, long merges, long experiencesUsed,
                       long experiencesRejected) {}

  private FleetSim() {}

  public static Result run(Config c) throws InterruptedException {
    Backends.available(c.backend()).ifPresent(why -> { throw new IllegalArgumentException(why); });
    List<NodeResult> out = new ArrayList<>();
    long writes = 0, bytes = 0, merges = 0;
    AtomicLong used = new AtomicLong(), refused = new AtomicLong();
    for (long seed : c.seeds()) {
      List<List<SimPod>> pods = new ArrayList<>();
      for (int i = 0; i < c.nodes(); i++) pods.add(pods(c, seed, i));
      Map<Integer, Map<Integer, PpoLearner.Snapshot>> alone = new TreeMap<>();
      for (int i = 0; i < c.nodes(); i++) alone.put(i, learnAlone(c, seed, i, pods.get(i)));
      InMemoryFleetStore store = new InMemoryFleetStore();
      AtomicLong merged = new AtomicLong();
      Map<Integer, Map<Integer, PpoLearner.Snapshot>> fleet = learnTogether(c, seed, pods, store, merged, used, refused);
      writes += store.writes();
      bytes += store.bytesWritten();
      merges += merged.get();
      for (int i = 0; i < c.nodes(); i++) {
        Map<Integer, Double> a = new TreeMap<>(), f = new TreeMap<>(), g = new TreeMap<>();
        CoTenants co = c.scenario().coTenants(nodeSeed(seed, i));
        for (int cp : c.checkpoints()) {
          List<SimPod> scored = pods.get(i).subList(cp, cp + c.evalFeedbacks());
          double grant = score(SimulationRunner.run(scored, scored.size(), co, node -> Baseline.grantRequested(), x -> {}));
          PpoLearner.Snapshot sa = alone.get(i).get(cp), sf = fleet.get(i).get(cp);
          long s = nodeSeed(seed, i);
          a.put(cp, score(SimulationRunner.run(scored, scored.size(), co, node -> PpoPolicy.frozen(c.hp(), sa, node, s), x -> {})) - grant);
          f.put(cp, score(SimulationRunner.run(scored, scored.size(), co, node -> PpoPolicy.frozen(c.hp(), sf, node, s), x -> {})) - grant);
          g.put(cp, grant);
        }
        out.add(new NodeResult(seed, i, c.arrivals(i), c.bad(i), a, f, g));
      }
    }
    return new Result(c, out, writes, bytes, merges, used.get(), refused.get());
  }

  static long nodeSeed(long seed, int node) { return 1000 * seed + node; }

  /** Node {@code i}'s arrivals with the scenario's hidden usage: training first, then what the last checkpoint is scored on. */
  static List<SimPod> pods(Config c, long seed, int i) {
    int count = c.trainCount() + c.evalFeedbacks();
    long s = nodeSeed(seed, i);
    List<SimPod> asked = switch (c.arrivals(i)) {
      case "trace" -> c.trace().pods(count, s, c.concurrency());
      case "synthetic" -> ArrivalProcess.synthetic(count, s, c.concurrency());
      default -> throw new IllegalArgumentException(c.arrivals(i));
    };
    return c.scenario().apply(asked, s, c.trainCount() / 2);
  }

  private static double score(List<SimulationRunner.Outcome> outcomes) { return PolicyStats.of(outcomes, false).meanReward(); }

  /** Every node of a fleet starts from the same initialisation (averaging needs a common start); alone, too. */
  private static PpoLearner learner(Config c, long seed) {
    return dev.edgeppo.agent.Agent.learner(c.hp(), Backends.choose(c.backend()).backend(), seed, null);
  }

  private static Map<Integer, PpoLearner.Snapshot> learnAlone(Config c, long seed, int i, List<SimPod> pods) {
    Map<Integer, PpoLearner.Snapshot> snaps = new TreeMap<>();
    List<SimPod> train = pods.subList(0, c.trainCount());
    try (PpoLearner l = learner(c, seed)) {
      SimulationRunner.run(train, train.size(), c.scenario().coTenants(nodeSeed(seed, i)), node -> feedbackOf(c, seed, i,
          PpoPolicy.training(l, node, nodeSeed(seed, i)).afterFeedback(f -> {
            if (c.checkpoints().contains((int) f)) snaps.put((int) f, l.snapshot());
          })), x -> {});
    }
    return snaps;
  }

  private static Map<Integer, Map<Integer, PpoLearner.Snapshot>> learnTogether(Config c, long seed, List<List<SimPod>> pods,
                                                                               FleetStore store, AtomicLong merges, AtomicLong used,
                                                                               AtomicLong rejectedExperiences)
      throws InterruptedException {
    Map<Integer, Map<Integer, PpoLearner.Snapshot>> snaps = new TreeMap<>();
    CyclicBarrier round = new CyclicBarrier(c.nodes());
    Throwable[] failure = new Throwable[1];
    List<Thread> threads = new ArrayList<>();
    // Simulated time of the fleet: one sync period per round, so a stale limit of 10 rounds applies as in serve.
    AtomicLong roundClock = new AtomicLong();
    InstantSource clock = () -> Instant.ofEpochSecond(60 * roundClock.get());
    for (int i = 0; i < c.nodes(); i++) {
      int node = i;
      Map<Integer, PpoLearner.Snapshot> mine = new TreeMap<>();
      snaps.put(node, mine);
      threads.add(Thread.ofPlatform().name("fleet-node-" + i).start(() -> {
        List<SimPod> train = pods.get(node).subList(0, c.trainCount());
        try (PpoLearner l = learner(c, seed)) {
          // The node's agent (its AgentCore) is made by the runner; its fleet member is made with it, on serve's CoreLearner.
          FleetMember[] member = new FleetMember[1];
          SimulationRunner.run(train, train.size(), c.scenario().coTenants(nodeSeed(seed, node)), n -> {
            PpoPolicy p = PpoPolicy.training(l, n, nodeSeed(seed, node));
            member[0] = new FleetMember(store, new CoreLearner(p.core()),
                FleetMember.Settings.forPeriod(FLEET, "node-" + node, Duration.ofSeconds(60), c.step(), clock).with(c.sharing()));
            return feedbackOf(c, seed, node, p.afterFeedback(f -> {
              if (f % c.syncEvery() == 0) syncRound(member[0], round, node == 0 ? roundClock : null);
              if (c.checkpoints().contains((int) f)) mine.put((int) f, l.snapshot());
            }));
          }, x -> {});
          FleetMember m = member[0];
          synchronized (merges) {
            merges.addAndGet(m.merges());
            used.addAndGet(m.experiencesUsed());
            rejectedExperiences.addAndGet(m.experiencesRejected());
          }
        } catch (Throwable t) {
          synchronized (failure) { if (failure[0] == null) failure[0] = t; }
          round.reset(); // the others stop waiting for this node
        }
      }));
    }
    for (Thread t : threads) t.join();
    if (failure[0] != null) {
      if (failure[0] instanceof RuntimeException re) throw re;
      throw new IllegalStateException("a simulated node failed: " + failure[0], failure[0]);
    }
    return snaps;
  }

  /** All write, then all read and merge: what each node reads is the same whatever the threads' timing. */
  private static void syncRound(FleetMember m, CyclicBarrier round, AtomicLong clockToAdvance) {
    try {
      await(round);
      if (clockToAdvance != null) clockToAdvance.incrementAndGet();
      await(round);
      m.publish();
      await(round);
      m.pull();
      await(round);
    } catch (FleetStore.Unavailable e) {
      throw new IllegalStateException("the in-memory store failed: " + e.getMessage(), e);
    }
  }

  private static void await(CyclicBarrier b) {
    try {
      b.await(30, TimeUnit.MINUTES);
    } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
      throw new IllegalStateException("another simulated node failed", e);
    }
  }

  /** A bad node's policy hears random feedback instead of what its pods did. */
  private static AllocationPolicy feedbackOf(Config c, long seed, int node, PpoPolicy p) {
    if (!c.bad(node)) return p;
    SplittableRandom r = new SplittableRandom(nodeSeed(seed, node) ^ 0xBAD5EEDL);
    return new AllocationPolicy() {
      @Override public String name() { return p.name(); }
      @Override public Grant allocate(SimPod pod, dev.edgeppo.telemetry.Telemetry t, boolean eval) { return p.allocate(pod, t, eval); }
      @Override public double feedback(Grant g, double usage, boolean qos, int pods, boolean done) {
        return switch (c.badKind()) {
          case RANDOM -> p.feedback(g, 100 * r.nextDouble(), r.nextBoolean(), pods, done);
          case SLOW_GPU -> {
            double needs = Math.min(100, 2 * usage);
            yield p.feedback(g, needs, qos && g.cores() >= needs, pods, done);
          }
        };
      }
      @Override public void close() { p.close(); }
    };
  }

  // ---- the report ----

  private static double mean(List<NodeResult> rs, boolean fleet, int cp) {
    return rs.stream().mapToDouble(r -> (fleet ? r.fleet() : r.alone()).get(cp)).average().orElse(Double.NaN);
  }

  /** What issue 20 asks, per good node and seed; each failure named. */
  public static List<String> failures(Result r) {
    List<String> f = new ArrayList<>();
    Config c = r.config();
    int first = c.checkpoints().getFirst(), last = c.checkpoints().getLast();
    for (NodeResult n : r.nodes()) {
      if (n.bad()) continue;
      String where = "seed " + n.seed() + " node " + n.node();
      if (c.badNodes() == 0 && n.fleet().get(first) < n.alone().get(last) - TIE)
        f.add(String.format(Locale.ROOT, "%s: in the fleet at %d %+.3f, below alone at %d %+.3f", where, first, n.fleet().get(first), last, n.alone().get(last)));
      for (int cp : c.checkpoints()) {
        double m = n.fleet().get(cp);
        if (c.badNodes() == 0 ? m < -TIE : m <= 0)
          f.add(String.format(Locale.ROOT, "%s: in the fleet at %d %+.3f against grant_requested (wanted %s)", where, cp, m,
              c.badNodes() == 0 ? ">= -" + TIE : "> 0"));
      }
    }
    return f;
  }

  public static void printTable(PrintWriter out, Result r) {
    Config c = r.config();
    out.printf(Locale.ROOT, "fleet of %d nodes (%d bad: %s), scenario %s, profile %s, sync every %d feedbacks per node, "
        + "%d arrivals scored per node and point%n", c.nodes(), c.badNodes(), c.badKind().json(), c.scenario().json(), c.hp().profile(), c.syncEvery(),
        c.evalFeedbacks());
    out.println("infer-mode margin over grant_requested (mean reward a pod) at N feedbacks per node: alone, and in the fleet");
    StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-5s %-5s %-9s %-4s %7s", "seed", "node", "arrivals", "bad", "grant"));
    for (int cp : c.checkpoints()) head.append(String.format(Locale.ROOT, " %10s", "alone@" + cp));
    for (int cp : c.checkpoints()) head.append(String.format(Locale.ROOT, " %10s", "fleet@" + cp));
    out.println(head);
    for (NodeResult n : r.nodes()) {
      StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-5d %-5d %-9s %-4s %7.3f", n.seed(), n.node(), n.arrivals(),
          n.bad() ? "yes" : "", n.grantReward().get(c.checkpoints().getLast())));
      for (int cp : c.checkpoints()) sb.append(String.format(Locale.ROOT, " %+10.3f", n.alone().get(cp)));
      for (int cp : c.checkpoints()) sb.append(String.format(Locale.ROOT, " %+10.3f", n.fleet().get(cp)));
      out.println(sb);
    }
    List<NodeResult> good = r.nodes().stream().filter(n -> !n.bad()).toList();
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-5s %-5s %-9s %-4s %7s", "mean", "good", "", "", ""));
    for (int cp : c.checkpoints()) sb.append(String.format(Locale.ROOT, " %+10.3f", mean(good, false, cp)));
    for (int cp : c.checkpoints()) sb.append(String.format(Locale.ROOT, " %+10.3f", mean(good, true, cp)));
    out.println(sb);
    long objects = (long) c.nodes() * c.seeds().size();
    out.printf(Locale.ROOT, "fleet traffic: %d writes, %.1f KiB each on average, %d merges (%.1f per node)%n", r.writes(),
        r.writes() == 0 ? 0.0 : r.bytesWritten() / 1024.0 / r.writes(), r.merges(), r.merges() / (double) objects);
    out.printf(Locale.ROOT, "fleet sharing %s: %d peer experiences trained on (%.0f per node), %d refused as surprising%n", c.sharing().json(),
        r.experiencesUsed(), r.experiencesUsed() / (double) objects, r.experiencesRejected());
    List<String> f = failures(r);
    String want = c.badNodes() == 0
        ? "every node in the fleet at " + c.checkpoints().getFirst() + " >= alone at " + c.checkpoints().getLast() + ", never below grant_requested"
        : "every good node beats grant_requested at every point";
    if (f.isEmpty()) out.println("issue 20 criteria (" + want + "): met");
    else {
      out.println("issue 20 criteria (" + want + "): " + f.size() + " failure(s)");
      f.forEach(x -> out.println("  " + x));
    }
  }

  public static ObjectNode toJson(Result r, ObjectMapper json) {
    ObjectNode root = json.createObjectNode();
    Config c = r.config();
    root.put("nodes", c.nodes()).put("bad_nodes", c.badNodes()).put("bad_kind", c.badKind().json()).put("scenario", c.scenario().json()).put("sync_every", c.syncEvery())
        .put("eval_feedbacks", c.evalFeedbacks()).put("profile", c.hp().profile());
    c.seeds().forEach(root.putArray("seeds")::add);
    c.checkpoints().forEach(root.putArray("checkpoints")::add);
    ArrayNode ns = root.putArray("results");
    for (NodeResult n : r.nodes()) {
      ObjectNode o = ns.addObject().put("seed", n.seed()).put("node", n.node()).put("arrivals", n.arrivals()).put("bad", n.bad());
      ObjectNode a = o.putObject("alone"), f = o.putObject("fleet"), g = o.putObject("grant_requested");
      n.alone().forEach((k, v) -> a.put(Integer.toString(k), v));
      n.fleet().forEach((k, v) -> f.put(Integer.toString(k), v));
      n.grantReward().forEach((k, v) -> g.put(Integer.toString(k), v));
    }
    root.put("writes", r.writes()).put("bytes_written", r.bytesWritten()).put("merges", r.merges()).put("sharing", c.sharing().json())
        .put("experiences_used", r.experiencesUsed()).put("experiences_rejected", r.experiencesRejected());
    List<String> fails = failures(r);
    root.put("met", fails.isEmpty());
    fails.forEach(root.putArray("failures")::add);
    return root;
  }
}
