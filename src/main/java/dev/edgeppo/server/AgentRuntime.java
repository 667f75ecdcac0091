package dev.edgeppo.server;

import dev.edgeppo.agent.Agent;
import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.agent.AllocationTable;
import dev.edgeppo.agent.Mode;
import dev.edgeppo.backend.Backends;
import dev.edgeppo.fleet.CoreLearner;
import dev.edgeppo.fleet.FleetLoop;
import dev.edgeppo.fleet.FleetMember;
import dev.edgeppo.fleet.FleetSettings;
import dev.edgeppo.fleet.KubeFleetStore;
import dev.edgeppo.k8s.AgentGrants;
import dev.edgeppo.k8s.KubeletPlugin;
import dev.edgeppo.log.Events;
import dev.edgeppo.observe.ObserveSettings;
import dev.edgeppo.observe.Observers;
import dev.edgeppo.observe.PodObserver;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.JitWarmup;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.ppo.UpdateBackend;
import dev.edgeppo.storage.StateFs;
import dev.edgeppo.telemetry.SampledTelemetry;
import dev.edgeppo.telemetry.Telemetry;
import dev.edgeppo.telemetry.TelemetryFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The program's composition root: opens everything {@code serve} runs on (backend, telemetry, state dir,
 * learner, core, metrics, HTTP server, TTL sweeper) in one place, in order, and closes it in the reverse
 * order, both when a later step of {@link #start} fails and at shutdown. {@code serve} builds one from its
 * configuration.
 */
public final class AgentRuntime implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(AgentRuntime.class.getName());

  /**
   * Everything a runtime needs. {@code telemetry} and {@code backend} are the command line's names; the GPUs are
   * read every {@code telemetryPeriod} off the request path, and a reading older than {@code telemetryMaxAge}
   * is refused ({@link SampledTelemetry}); {@code dra} is the node's DRA driver, or null to run without it.
   */
  public record Settings(String bind, int port, Path stateDir, String token, Hyperparameters hp, AgentOptions options,
                         Duration readTimeout, String telemetry, String backend, ObserveSettings observe,
                         Duration telemetryPeriod, Duration telemetryMaxAge, KubeletPlugin.Settings dra, FleetSettings fleet) {
    /** Settings without a fleet: the agent learns alone. */
    public Settings(String bind, int port, Path stateDir, String token, Hyperparameters hp, AgentOptions options,
                    Duration readTimeout, String telemetry, String backend, ObserveSettings observe,
                    Duration telemetryPeriod, Duration telemetryMaxAge, KubeletPlugin.Settings dra) {
      this(bind, port, stateDir, token, hp, options, readTimeout, telemetry, backend, observe, telemetryPeriod, telemetryMaxAge, dra, null);
    }

    /** Settings with the pod observer's and the telemetry sampler's defaults (SPEC §3), and no DRA driver. */
    public Settings(String bind, int port, Path stateDir, String token, Hyperparameters hp, AgentOptions options,
                    Duration readTimeout, String telemetry, String backend) {
      this(bind, port, stateDir, token, hp, options, readTimeout, telemetry, backend, ObserveSettings.DEFAULTS, null);
    }

    /** Settings with the telemetry sampler's defaults. */
    public Settings(String bind, int port, Path stateDir, String token, Hyperparameters hp, AgentOptions options,
                    Duration readTimeout, String telemetry, String backend, ObserveSettings observe, KubeletPlugin.Settings dra) {
      this(bind, port, stateDir, token, hp, options, readTimeout, telemetry, backend, observe, SampledTelemetry.DEFAULT_PERIOD,
          SampledTelemetry.DEFAULT_MAX_AGE, dra);
    }

    /** Settings with the telemetry sampler's defaults. */
    public Settings(String bind, int port, Path stateDir, String token, Hyperparameters hp, AgentOptions options,
                    Duration readTimeout, String telemetry, String backend, ObserveSettings observe) {
      this(bind, port, stateDir, token, hp, options, readTimeout, telemetry, backend, observe, SampledTelemetry.DEFAULT_PERIOD,
          SampledTelemetry.DEFAULT_MAX_AGE, null);
    }
  }

  /** What to close, most recently opened first. */
  private final Deque<Closer> opened;
  private final Agent agent;
  private final AgentServer server;
  private final KubeletPlugin dra;
  private boolean closed;

  private interface Closer {
    void close() throws IOException;
  }

  private AgentRuntime(Deque<Closer> opened, Agent agent, AgentServer server, KubeletPlugin dra) {
    this.opened = opened;
    this.agent = agent;
    this.server = server;
    this.dra = dra;
  }

  public static AgentRuntime start(Settings s) throws IOException { return start(s, StateFs.real()); }

  static AgentRuntime start(Settings s, StateFs fs) throws IOException {
    Deque<Closer> opened = new ArrayDeque<>();
    try {
      Backends.Choice backend = Backends.choose(s.backend());
      if (s.options().mode() == Mode.TRAIN && ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
        backend.backend().close();
        throw new IllegalStateException("serve --mode train needs the JVM option --add-modules jdk.incubator.vector: training"
            + " runs on its Vector API (bin/edgeppo adds it to every command that trains; --mode infer serves without it)");
      }
      Events.log(LOG, Level.INFO, "backend", Map.of("why", backend.why(), "forward", dev.edgeppo.ppo.Policy.forwardPath()));
      TelemetryFactory.Opened t = TelemetryFactory.open(s.telemetry());
      opened.push(t.telemetry()::close);
      Telemetry telemetry = SampledTelemetry.start(t.telemetry(), s.telemetryPeriod(), s.telemetryMaxAge());
      opened.pop();
      opened.push(telemetry::close); // the sampler stops, then closes the source
      Events.log(LOG, Level.INFO, "telemetry", Map.of("why", t.why(), "period_ms", s.telemetryPeriod().toMillis(),
          "max_age_ms", s.telemetryMaxAge().toMillis()));
      // On failure Agent.open closes the backend and whatever else it had opened.
      Agent agent = Agent.open(s.stateDir(), fs, s.hp(), backend.backend(), telemetry, s.options());
      opened.push(agent::close);
      AgentCore core = agent.core();
      AgentMetrics metrics = new AgentMetrics(core);
      core.onUpdate(m -> {
        long ns = core.learner().lastUpdateNanos();
        metrics.updateDuration(ns);
        Events.log(LOG, Level.INFO, "update", Map.of("updates", core.updates(), "update_ms", ns / 1e6,
            "policy_loss", m.policyLoss(), "value_loss", m.valueLoss(), "entropy", m.entropy(), "approx_kl", m.approxKl(),
            "clip_fraction", m.clipFraction(), "explained_variance", m.explainedVariance(), "grad_norm", m.gradNorm()));
      });
      core.onUpdateFailure(x -> LOG.log(Level.SEVERE, "update or its checkpoint failed", x));
      // The pod observer (SPEC §5) reports through the core's feedback path, on a thread of its own.
      // The observer reads NVML itself on its own thread (per-process queries); the sampler serves requests.
      PodObserver observer = Observers.open(t.telemetry(), t.why(), s.observe(), core.observerSink());
      core.observeWith(observer);
      observer.start();
      opened.push(observer::close);
      Events.log(LOG, Level.INFO, "pod observer", Map.of("why", observer.unavailableWhy() == null
          ? "observing pods through NVML and " + s.observe().procRoot() + " every " + s.observe().period().toMillis()
              + " ms over " + s.observe().window().toMillis() + " ms"
          : "off: " + observer.unavailableWhy()));
      agent.replay();
      // The fleet (SPEC §7) before the HTTP server: a fresh agent's first grant is already the fleet's policy.
      FleetLoop fleet = null;
      if (s.fleet() != null) {
        FleetSettings f = s.fleet();
        KubeFleetStore store = new KubeFleetStore(FleetLoop.client(f.kubeconfig()), f.namespace());
        FleetMember member = new FleetMember(store, new CoreLearner(core),
            FleetMember.Settings.forPeriod(f.name(), f.agent(), f.period(), f.step(), java.time.InstantSource.system()).with(f.sharing()));
        Events.log(LOG, Level.INFO, "fleet", Map.of("fleet", f.name(), "agent", f.agent(), "object", member.objectName(),
            "store", store.describe(), "sync_seconds", f.period().toSeconds(), "sharing", f.sharing().json()));
        FleetLoop loop = FleetLoop.start(member, store, f.period());
        opened.push(loop::close);
        metrics.fleet(member, core);
        fleet = loop;
      }
      FleetLoop fleetLoop = fleet;
      Router router = new Router(core, metrics, s.token(), t.why(),
          fleetLoop == null ? null : () -> fleetLoop.member().state(fleetLoop.store().describe()));
      AgentServer server;
      try {
        server = AgentServer.start(new InetSocketAddress(s.bind(), s.port()), router, s.readTimeout());
      } catch (IOException e) {
        throw new IOException("cannot listen on " + s.bind() + ":" + s.port() + ": " + e.getMessage(), e);
      }
      opened.push(() -> server.stop(1));
      Thread sweeper = Thread.ofVirtual().name("edgeppo-sweeper").start(() -> {
        long every = AllocationTable.sweepPeriod(s.options().pendingTtl()).toMillis();
        try {
          while (true) {
            Thread.sleep(every);
            core.sweep();
          }
        } catch (InterruptedException e) {
          // stopping
        }
      });
      opened.push(sweeper::interrupt);
      // Last opened, so first closed: the registration socket goes before the agent does, and the
      // kubelet stops calling a closing agent.
      KubeletPlugin dra = null;
      if (s.dra() != null) {
        KubeletPlugin plugin = KubeletPlugin.start(s.dra(), telemetry, new AgentGrants(core));
        opened.push(plugin::close);
        dra = plugin;
        // Webhook pods are observed too (SPEC §5): bound to their allocation once they exist on this node.
        dev.edgeppo.k8s.WebhookPods webhookPods = dev.edgeppo.k8s.WebhookPods.start(plugin.client(), s.dra().nodeName(), core);
        opened.push(webhookPods::close);
      }
      return new AgentRuntime(opened, agent, server, dra);
    } catch (IOException | RuntimeException | Error e) {
      closeAll(opened, e);
      throw e;
    }
  }

  private static void closeAll(Deque<Closer> opened, Throwable failure) {
    while (!opened.isEmpty()) {
      try {
        opened.pop().close();
      } catch (IOException | RuntimeException e) {
        failure.addSuppressed(e);
      }
    }
  }

  /**
   * Queues the JIT warm-up ({@link JitWarmup}) on the trainer, ahead of any update, so that this fresh JVM's
   * first real updates run compiled code. On the CPU backend only: cuda-host is a correctness emulation, and
   * the CUDA backend's host side (a launch and two copies) was not measured cold for want of a GPU.
   */
  public void warmUpTrainer(int maxUpdates) { warmUpTrainer(maxUpdates, JitWarmup.DEFAULT_DEADLINE); }

  /** As {@link #warmUpTrainer(int)}, ending after {@code deadline} at most (serve's {@code warmup_deadline_ms}). */
  public void warmUpTrainer(int maxUpdates, java.time.Duration deadline) {
    AgentCore core = agent.core();
    PpoLearner learner = core.learner();
    if (maxUpdates <= 0 || !"cpu".equals(learner.backendName())) return;
    core.onTrainer(() -> {
      try (UpdateBackend throwaway = Backends.open(learner.backendName())) {
        JitWarmup.Result r = JitWarmup.run(throwaway, learner.hyperparameters(), maxUpdates, deadline, core::stopping);
        // The interpreted Vector API left ~100 MB of garbage; a full collection now lets G1 return the heap it
        // grew for it (measured: resident memory back from ~330 to ~130 MiB), once, before real traffic.
        System.gc();
        Events.log(LOG, Level.INFO, "JIT warm-up", Map.of("updates", r.updates(), "settled", r.settled(), "ms", r.millis(),
            "median_update_us", r.lastMedianUs()));
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "JIT warm-up failed; the first updates will run cold", e);
      }
    });
  }

  public int port() { return server.port(); }
  public AgentCore core() { return agent.core(); }
  /** The DRA driver, or null when serve runs without one. */
  public KubeletPlugin dra() { return dra; }

  /**
   * Graceful stop in the reverse order of opening: the sweeper, the HTTP server (exchanges in flight get a
   * second), then the agent ({@link Agent#close()}: a running update finishes or is abandoned by the
   * deadline, the checkpoint is written, the journal closed), then telemetry; the DRA driver, opened last,
   * goes first. Bounded so that SIGTERM exits within ten seconds.
   */
  @Override
  public synchronized void close() throws IOException {
    if (closed) return;
    closed = true;
    IOException failure = new IOException("errors while stopping");
    closeAll(opened, failure);
    Events.log(LOG, Level.INFO, "stopped", Map.of("updates", agent.core().updates(), "buffered", agent.core().buffered()));
    if (failure.getSuppressed().length > 0) throw failure;
  }
}
