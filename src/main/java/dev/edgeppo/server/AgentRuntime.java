package dev.edgeppo.server;

import dev.edgeppo.agent.Agent;
import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.agent.AllocationTable;
import dev.edgeppo.backend.Backends;
import dev.edgeppo.k8s.AgentGrants;
import dev.edgeppo.k8s.KubeletPlugin;
import dev.edgeppo.log.Events;
import dev.edgeppo.observe.ObserveSettings;
import dev.edgeppo.observe.Observers;
import dev.edgeppo.observe.PodObserver;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.storage.StateFs;
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
   * Everything a runtime needs. {@code telemetry} and {@code backend} are the command line's names;
   * {@code dra} is the node's DRA driver, or null to run without it.
   */
  public record Settings(String bind, int port, Path stateDir, String token, Hyperparameters hp, AgentOptions options,
                         Duration readTimeout, String telemetry, String backend, ObserveSettings observe,
                         KubeletPlugin.Settings dra) {
    /** Settings with the pod observer's defaults (SPEC §3) and no DRA driver. */
    public Settings(String bind, int port, Path stateDir, String token, Hyperparameters hp, AgentOptions options,
                    Duration readTimeout, String telemetry, String backend) {
      this(bind, port, stateDir, token, hp, options, readTimeout, telemetry, backend, ObserveSettings.DEFAULTS, null);
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
      Events.log(LOG, Level.INFO, "backend", Map.of("why", backend.why()));
      TelemetryFactory.Opened t = TelemetryFactory.open(s.telemetry());
      Telemetry telemetry = t.telemetry();
      opened.push(telemetry::close);
      Events.log(LOG, Level.INFO, "telemetry", Map.of("why", t.why()));
      // On failure Agent.open closes the backend and whatever else it had opened.
      Agent agent = Agent.open(s.stateDir(), fs, s.hp(), backend.backend(), telemetry, s.options());
      opened.push(agent::close);
      AgentCore core = agent.core();
      core.onUpdate(m -> Events.log(LOG, Level.INFO, "update", Map.of("updates", core.updates(), "policy_loss", m.policyLoss(),
          "value_loss", m.valueLoss(), "entropy", m.entropy(), "approx_kl", m.approxKl(), "clip_fraction", m.clipFraction(),
          "explained_variance", m.explainedVariance(), "grad_norm", m.gradNorm())));
      core.onUpdateFailure(x -> LOG.log(Level.SEVERE, "update or its checkpoint failed", x));
      // The pod observer (SPEC §5) reports through the core's feedback path, on a thread of its own.
      PodObserver observer = Observers.open(telemetry, t.why(), s.observe(), core.observerSink());
      core.observeWith(observer);
      observer.start();
      opened.push(observer::close);
      Events.log(LOG, Level.INFO, "pod observer", Map.of("why", observer.unavailableWhy() == null
          ? "observing pods through NVML and " + s.observe().procRoot() + " every " + s.observe().period().toMillis()
              + " ms over " + s.observe().window().toMillis() + " ms"
          : "off: " + observer.unavailableWhy()));
      agent.replay();
      AgentMetrics metrics = new AgentMetrics(core);
      Router router = new Router(core, metrics, s.token(), t.why());
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
