package dev.edgeppo.cli;

import dev.edgeppo.ppo.AdamState;
import dev.edgeppo.backend.Backends;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PolicyParams;
import dev.edgeppo.ppo.RolloutBatch;
import dev.edgeppo.ppo.UpdateBackend;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Quick timing from the command line; the JMH module in benchmarks/ is the careful measurement. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Microbenchmarks.",
    subcommands = BenchCommand.TrainStep.class)
final class BenchCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() { spec.commandLine().usage(System.out); }

  @Command(name = "train-step", mixinStandardHelpOptions = true,
      description = "Median time of one PPO update (GAE + K epochs + Adam) on a random batch.")
  static final class TrainStep implements Callable<Integer> {
    @Option(names = "--batch", defaultValue = "32", description = "experiences per update (default: ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--hidden", defaultValue = "64", description = "hidden width H (default: ${DEFAULT-VALUE})")
    int hidden;
    @Option(names = "--backend", defaultValue = "auto", description = "cpu | cuda | cuda-host | auto (default: ${DEFAULT-VALUE})")
    String backend;
    @Option(names = "--iterations", defaultValue = "0", description = "timed updates (default: about 2 s worth)")
    int iterations;
    @Option(names = "--warmup", defaultValue = "0", description = "untimed updates first (default: 2 s worth)")
    int warmup;
    @Option(names = "--json", description = "one JSON line instead of text")
    boolean json;

    @Override
    public Integer call() {
      if (batch < 1 || hidden < 1) throw new IllegalArgumentException("--batch and --hidden must be >= 1");
      Hyperparameters hp = Hyperparameters.defaults().withHidden(hidden).withBatchSize(batch);
      Backends.Choice choice = Backends.choose(backend);
      if (!json) System.err.println(choice.why());
      try (UpdateBackend b = choice.backend()) {
        PolicyParams p = PolicyParams.initialise(hidden, hp.initialStd(), 1);
        AdamState adam = new AdamState(p.layout());
        RolloutBatch rb = randomBatch(batch, new SplittableRandom(7));
        // Warm up by time (the JIT needs thousands of calls), then size the timed run from the warm speed.
        long warmEnd = System.nanoTime() + 2_000_000_000L;
        int warmed = 0;
        while (warmup > 0 ? warmed < warmup : (System.nanoTime() < warmEnd || warmed < 5)) {
          b.update(p, adam, rb, hp);
          warmed++;
        }
        long t0 = System.nanoTime();
        b.update(p, adam, rb, hp);
        long one = Math.max(1, System.nanoTime() - t0);
        int iters = iterations > 0 ? iterations : (int) Math.min(200_000, Math.max(10, 2_000_000_000L / one));
        long[] ns = new long[iters];
        for (int i = 0; i < iters; i++) {
          long s = System.nanoTime();
          b.update(p, adam, rb, hp);
          ns[i] = System.nanoTime() - s;
        }
        Arrays.sort(ns);
        double med = ns[iters / 2] / 1e3, p10 = ns[iters / 10] / 1e3, p90 = ns[iters * 9 / 10] / 1e3;
        if (json) {
          System.out.printf("{\"benchmark\":\"train-step\",\"backend\":\"%s\",\"batch\":%d,\"hidden\":%d,"
                  + "\"epochs\":%d,\"update_us\":%.1f,\"p10_us\":%.1f,\"p90_us\":%.1f,\"iterations\":%d}%n",
              b.name(), batch, hidden, hp.epochs(), med, p10, p90, iters);
        } else {
          System.out.printf("train-step backend=%s batch=%d hidden=%d: median %.1f us per update (p10 %.1f, p90 %.1f; %d updates)%n",
              b.name(), batch, hidden, med, p10, p90, iters);
        }
      }
      return 0;
    }
  }

  /** A plausible batch: states in [0,1], actions near the middle, rewards in the agent's range. */
  static RolloutBatch randomBatch(int t, SplittableRandom r) {
    RolloutBatch b = RolloutBatch.allocate(t);
    for (int i = 0; i < b.states().length; i++) { b.states()[i] = (float) r.nextDouble(); b.nextStates()[i] = (float) r.nextDouble(); }
    for (int i = 0; i < b.actions().length; i++) b.actions()[i] = (float) (0.5 + 0.3 * (r.nextDouble() - 0.5));
    for (int i = 0; i < t; i++) {
      b.logProbs()[i] = (float) (0.5 + r.nextDouble() - 0.5);
      b.values()[i] = (float) (r.nextDouble() - 0.5);
      b.rewards()[i] = (float) (r.nextDouble() * 2 - 0.5);
      b.dones()[i] = r.nextDouble() < 0.1 ? 1f : 0f;
    }
    return b;
  }
}
