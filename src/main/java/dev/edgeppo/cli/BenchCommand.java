package dev.edgeppo.cli;

import dev.edgeppo.ppo.AdamState;
import dev.edgeppo.backend.Backends;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.JitSettling;
import dev.edgeppo.ppo.JitWarmup;
import dev.edgeppo.ppo.Policy;
import dev.edgeppo.ppo.ParamLayout;
import dev.edgeppo.ppo.PolicyParams;
import dev.edgeppo.ppo.RolloutBatch;
import dev.edgeppo.ppo.UpdateBackend;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Quick timing from the command line; the JMH module in benchmarks/ is the careful measurement. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Microbenchmarks.",
    subcommands = {BenchCommand.TrainStep.class, BenchCommand.Infer.class})
final class BenchCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() { spec.commandLine().usage(System.out); }

  @Command(name = "infer", mixinStandardHelpOptions = true,
      description = {"Time and heap garbage of one request's forward pass (Policy.act on one state: actor, sample, critic),",
          "on the path this JVM uses: the Vector API with the incubator module, Dense's scalar loops without it",
          "(as serve --mode infer runs) or with -Dedgeppo.dense.scalar=true in EDGEPPO_JAVA_OPTS."})
  static final class Infer implements Callable<Integer> {
    @Option(names = "--hidden", defaultValue = "64", description = "hidden width H (default: ${DEFAULT-VALUE})")
    int hidden;
    @Option(names = "--iterations", defaultValue = "200000", description = "timed calls after as many warm-up calls (default: ${DEFAULT-VALUE})")
    int iterations;
    @Option(names = "--json", description = "one JSON line instead of text")
    boolean json;

    @Override
    public Integer call() throws IOException {
      if (hidden < 1 || iterations < 1) throw new IllegalArgumentException("--hidden and --iterations must be >= 1");
      Hyperparameters hp = Hyperparameters.defaults().withHidden(hidden);
      Policy policy = new Policy(PolicyParams.initialise(hidden, hp.initialStd(), 1), 0);
      SplittableRandom rng = new SplittableRandom(3);
      float[][] states = new float[1024][ParamLayout.STATE_DIM];
      for (float[] st : states) for (int i = 0; i < st.length; i++) st[i] = (float) rng.nextDouble();
      double sink = 0;
      for (int i = 0; i < iterations; i++) sink += policy.act(states[i & 1023], true, rng).value();
      long[] ns = new long[iterations];
      long alloc0 = TrainStep.allocatedBytes();
      for (int i = 0; i < iterations; i++) {
        long t = System.nanoTime();
        sink += policy.act(states[i & 1023], true, rng).value();
        ns[i] = System.nanoTime() - t;
      }
      long alloc = TrainStep.allocatedBytes() - alloc0;
      Arrays.sort(ns);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("benchmark", "infer");
      out.put("forward", Policy.forwardPath());
      out.put("hidden", hidden);
      out.put("act_ns", ns[iterations / 2]);
      out.put("p10_ns", ns[iterations / 10]);
      out.put("p90_ns", ns[iterations * 9 / 10]);
      out.put("alloc_bytes_per_act", alloc0 < 0 ? null : alloc / iterations);
      out.put("iterations", iterations);
      out.put("checksum", Double.isFinite(sink)); // keeps the calls from being optimised away
      if (json) System.out.println(ServeConfig.JSON.writeValueAsString(out));
      else System.out.printf("infer %s hidden=%d: median %d ns per request's forward pass (p10 %d, p90 %d), %s bytes allocated%n",
          out.get("forward"), hidden, out.get("act_ns"), out.get("p10_ns"), out.get("p90_ns"), out.get("alloc_bytes_per_act"));
      return 0;
    }
  }

  @Command(name = "train-step", mixinStandardHelpOptions = true,
      description = {"Time of one PPO update (GAE + K epochs + Adam) on a random batch, cold and warm:",
          "cold = each of the first --cold updates of this fresh JVM; warm = the median once the JIT has",
          "settled (no compilation and a steady median over consecutive windows of updates), not after a",
          "wall-clock window, so a loaded machine still gives a true warm figure."})
  static final class TrainStep implements Callable<Integer> {
    @Option(names = "--batch", defaultValue = "32", description = "experiences per update (default: ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--hidden", defaultValue = "64", description = "hidden width H (default: ${DEFAULT-VALUE})")
    int hidden;
    @Option(names = "--backend", defaultValue = "auto", description = "cpu | cuda | cuda-host | auto (default: ${DEFAULT-VALUE})")
    String backend;
    @Option(names = "--cold", defaultValue = "3", description = "first updates of the fresh JVM timed one by one (default: ${DEFAULT-VALUE})")
    int cold;
    @Option(names = "--startup-warmup", description = "first run serve's start-up warm-up on a throwaway learner, so the cold updates are what a fresh agent's are")
    boolean startupWarmup;
    @Option(names = "--warmup", defaultValue = "0", description = "a fixed number of warm-up updates instead of waiting for the JIT to settle")
    int warmup;
    @Option(names = "--max-warmup", defaultValue = "20000", description = "bound on the updates spent waiting for the JIT (default: ${DEFAULT-VALUE})")
    int maxWarmup;
    @Option(names = "--iterations", defaultValue = "0", description = "timed warm updates (default: about 2 s worth)")
    int iterations;
    @Option(names = "--json", description = "one JSON line instead of text")
    boolean json;

    @Override
    public Integer call() throws IOException {
      if (batch < 1 || hidden < 1) throw new IllegalArgumentException("--batch and --hidden must be >= 1");
      if (cold < 0 || warmup < 0 || iterations < 0 || maxWarmup < 1)
        throw new IllegalArgumentException("--cold, --warmup and --iterations must be >= 0, --max-warmup >= 1");
      Hyperparameters hp = Hyperparameters.defaults().withHidden(hidden).withBatchSize(batch);
      Backends.Choice choice = Backends.choose(backend);
      if (!json) System.err.println(choice.why());
      Map<String, Object> out = new LinkedHashMap<>();
      try (UpdateBackend b = choice.backend()) {
        out.put("benchmark", "train-step");
        out.put("backend", b.name());
        out.put("batch", batch);
        out.put("hidden", hidden);
        out.put("epochs", hp.epochs());
        if (startupWarmup) {
          try (UpdateBackend throwaway = Backends.open(b.name())) {
            JitWarmup.Result w = JitWarmup.run(throwaway, hp, JitWarmup.DEFAULT_MAX_UPDATES, JitWarmup.DEFAULT_DEADLINE, () -> false);
            out.put("startup_warmup", Map.of("updates", w.updates(), "settled", w.settled(), "ms", w.millis()));
          }
        }
        PolicyParams p = PolicyParams.initialise(hidden, hp.initialStd(), 1);
        AdamState adam = new AdamState(p.layout());
        RolloutBatch rb = JitWarmup.syntheticBatch(batch, new SplittableRandom(7));
        out.put("jvm_uptime_ms", ManagementFactory.getRuntimeMXBean().getUptime());
        List<Double> coldUs = new ArrayList<>();
        for (int i = 0; i < cold; i++) coldUs.add(round(time(b, p, adam, rb, hp) / 1e3));
        out.put("cold_us", coldUs);

        // Warm: until the JIT has settled (or a fixed count when asked), then a timed run.
        JitSettling settling = new JitSettling();
        long warmStart = System.nanoTime();
        int warmed = 0;
        while (warmup > 0 ? warmed < warmup : (!settling.settled() && warmed < maxWarmup)) {
          settling.record(time(b, p, adam, rb, hp));
          warmed++;
        }
        out.put("warmup_updates", warmed);
        out.put("warmup_settled", warmup > 0 ? null : settling.settled());
        out.put("warmup_ms", (System.nanoTime() - warmStart) / 1_000_000);
        long one = Math.max(1, time(b, p, adam, rb, hp));
        int iters = iterations > 0 ? iterations : (int) Math.min(200_000, Math.max(10, 2_000_000_000L / one));
        long[] ns = new long[iters];
        long alloc0 = allocatedBytes();
        for (int i = 0; i < iters; i++) ns[i] = time(b, p, adam, rb, hp);
        long alloc = allocatedBytes() - alloc0;
        Arrays.sort(ns);
        out.put("update_us", round(ns[iters / 2] / 1e3));
        out.put("p10_us", round(ns[iters / 10] / 1e3));
        out.put("p90_us", round(ns[iters * 9 / 10] / 1e3));
        out.put("iterations", iters);
        // Heap garbage of one warm update (this thread's allocations): what training adds to the GC's work.
        out.put("alloc_bytes_per_update", alloc0 < 0 ? null : alloc / iters);
        out.put("peak_rss_mib", peakRssMib());
      }
      if (json) {
        System.out.println(ServeConfig.JSON.writeValueAsString(out));
      } else {
        System.out.printf("train-step backend=%s batch=%d hidden=%d: cold %s us (first updates of this JVM, %s ms after start)%s;"
                + " warm median %.1f us (p10 %.1f, p90 %.1f; %d updates after %d warm-up updates%s)%n",
            out.get("backend"), batch, hidden, out.get("cold_us"), out.get("jvm_uptime_ms"),
            startupWarmup ? " after the start-up warm-up " + out.get("startup_warmup") : "",
            out.get("update_us"), out.get("p10_us"), out.get("p90_us"), out.get("iterations"), out.get("warmup_updates"),
            Boolean.FALSE.equals(out.get("warmup_settled")) ? ", JIT not settled: raise --max-warmup" : "");
      }
      return 0;
    }

    private static long time(UpdateBackend b, PolicyParams p, AdamState adam, RolloutBatch rb, Hyperparameters hp) {
      long s = System.nanoTime();
      b.update(p, adam, rb, hp);
      return System.nanoTime() - s;
    }

    /** Bytes this thread has allocated so far; -1 where the JVM does not count them. */
    static long allocatedBytes() {
      return ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemorySupported()
          ? t.getCurrentThreadAllocatedBytes() : -1;
    }

    private static double round(double v) { return Math.round(v * 10) / 10.0; }

    /** VmHWM of /proc/self/status: the most resident memory this process had, MiB; null off Linux. */
    static Long peakRssMib() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
          if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      } catch (IOException | NumberFormatException e) {
        // not Linux: no figure
      }
      return null;
    }
  }
}
