package dev.edgeppo.bench;

import dev.edgeppo.ppo.AdamState;
import dev.edgeppo.backend.Backends;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.ParamLayout;
import dev.edgeppo.ppo.Policy;
import dev.edgeppo.ppo.PolicyParams;
import dev.edgeppo.ppo.RolloutBatch;
import dev.edgeppo.ppo.UpdateBackend;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Latency of one whole PPO update (GAE, K epochs of forward/backward, clipping, Adam) per backend,
 * the number the agent's online learning waits on. Comparable with {@code tools/reference/bench_torch.py}
 * (same batch sizes, H, defaults, one thread).
 *
 * <p>How to run: {@code make bench} (installs the main artifact, builds benchmarks/target/benchmarks.jar
 * and runs it); JMH options go through JMH_ARGS, for example
 * {@code make bench JMH_ARGS="-p backend=cpu -f 1 -wi 2 -i 3"} or
 * {@code make bench JMH_ARGS="TrainStep -p batch=32"}. Directly:
 * {@code java -Dedgeppo.native.dir=native/build -jar benchmarks/target/benchmarks.jar -p backend=cpu}.
 * A backend this machine cannot run (no GPU, no kernels) fails its setup with the reason printed; the
 * other parameter combinations still run.
 *
 * <p>Parameters and Adam state carry over from one invocation to the next, as in the agent, where
 * every update starts from the previous one; the log_std clamp and gradient clipping keep that stable.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
// FFM (NVML, native helpers) and the CPU backend's Vector API need these in the forked JVM whoever launches it.
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@State(Scope.Thread)
public class TrainStepBenchmark {
  @Param({"32", "256", "2048"})
  public int batch;

  @Param({"64"})
  public int hidden;

  @Param({"cpu", "cuda-host", "cuda"})
  public String backend;

  private UpdateBackend impl;
  private PolicyParams params;
  private AdamState adam;
  private RolloutBatch rollout;
  private Hyperparameters hp;

  @Setup(Level.Trial)
  public void setUp() {
    Optional<String> unavailable = Backends.available(backend);
    if (unavailable.isPresent()) {
      String why = "SKIPPED backend=" + backend + ": " + unavailable.get();
      System.err.println(why);
      // JMH has no skip: failing the setup drops this combination and moves on to the next.
      throw new IllegalStateException(why);
    }
    hp = Hyperparameters.defaults().withHidden(hidden).withBatchSize(batch);
    params = PolicyParams.initialise(hidden, hp.initialStd(), 42);
    adam = new AdamState(params.layout());
    rollout = collect(new Policy(params, 0), batch, new SplittableRandom(7));
    impl = Backends.open(backend);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (impl != null) impl.close();
  }

  @Benchmark
  public void update(Blackhole bh) {
    bh.consume(impl.update(params, adam, rollout, hp));
  }

  /**
   * A batch as the agent collects it: the policy acts on random states (sampled actions, their
   * log-probabilities and values), with rewards in the reward function's range and a few episode ends.
   */
  static RolloutBatch collect(Policy policy, int t, SplittableRandom rng) {
    int sd = ParamLayout.STATE_DIM, ad = ParamLayout.ACTION_DIM;
    RolloutBatch b = RolloutBatch.allocate(t);
    float[] s = new float[sd];
    for (int i = 0; i < t; i++) {
      for (int k = 0; k < sd; k++) {
        s[k] = (float) rng.nextDouble();
        b.states()[i * sd + k] = s[k];
        b.nextStates()[i * sd + k] = k < 2 ? s[k] : (float) rng.nextDouble();
      }
      Policy.Decision d = policy.act(s, true, rng);
      System.arraycopy(d.action(), 0, b.actions(), i * ad, ad);
      b.logProbs()[i] = d.logProb();
      b.values()[i] = d.value();
      b.rewards()[i] = (float) (rng.nextDouble() * 3.0 - 1.0);
      b.dones()[i] = rng.nextDouble() < 0.1 ? 1f : 0f;
    }
    return b;
  }
}
