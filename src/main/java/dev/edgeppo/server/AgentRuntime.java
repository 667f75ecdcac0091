package dev.edgeppo.server;

import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.agent.Durability;
import dev.edgeppo.agent.StateDir;
import dev.edgeppo.k8s.AgentGrants;
import dev.edgeppo.k8s.KubeletPlugin;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.ppo.UpdateBackend;
import dev.edgeppo.telemetry.Telemetry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A running agent: state dir, core, metrics and HTTP server wired together, and the order they stop in.
 * {@code serve} builds one from its configuration; tests build one on port 0.
 */
public final class AgentRuntime implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(AgentRuntime.class.getName());

  /** Everything a runtime needs besides the telemetry and the backend, which the caller opens. */
  /** @param dra the node's DRA driver, or null to run without it */
  public record Settings(String bind, int port, Path stateDir, String token, Hyperparameters hp, AgentOptions options,
                         Duration readTimeout, String telemetryWhy, KubeletPlugin.Settings dra) {}

  private final AgentCore core;
  private final StateDir stateDir;
  private final AgentServer server;
  private final Thread sweeper;
  private final KubeletPlugin dra;
  private volatile boolean closed;

  private AgentRuntime(AgentCore core, StateDir stateDir, AgentServer server, Thread sweeper, KubeletPlugin dra) {
    this.core = core;
    this.stateDir = stateDir;
    this.server = server;
    this.sweeper = sweeper;
    this.dra = dra;
  }

  public static AgentRuntime start(Settings s, Telemetry telemetry, UpdateBackend backend) throws IOException {
    StateDir sd = null;
    PpoLearner learner;
    long firstSeq = 0;
    if (s.stateDir() != null) {
      sd = StateDir.open(s.stateDir(), s.hp(), backend, s.options().seed());
      learner = sd.learner();
      firstSeq = sd.nextSeq();
      log(Level.INFO, sd.loadedCheckpoint() ? "checkpoint loaded" : "no checkpoint; fresh policy",
          Map.of("state_dir", s.stateDir().toString(), "updates", learner.updates(), "replay", sd.toReplay().size(),
              "journal_dropped_bytes", sd.journalDroppedBytes()));
    } else {
      learner = PpoLearner.fresh(s.hp(), backend, s.options().seed());
      log(Level.WARNING, "no state dir: nothing learned survives a restart", Map.of());
    }
    Durability d = sd == null ? Durability.NONE : sd;
    AgentCore core = new AgentCore(learner, telemetry, s.options(), d, firstSeq);
    core.onUpdate(m -> log(Level.INFO, "update", Map.of("updates", learner.updates(), "policy_loss", m.policyLoss(),
        "value_loss", m.valueLoss(), "entropy", m.entropy(), "approx_kl", m.approxKl(), "clip_fraction", m.clipFraction(),
        "explained_variance", m.explainedVariance(), "grad_norm", m.gradNorm())));
    core.onUpdateFailure(t -> LOG.log(Level.SEVERE, "update failed; its batch is dropped", t));
    if (sd != null) core.replay(sd.toReplay());
    AgentMetrics metrics = new AgentMetrics(core);
    Router router = new Router(core, metrics, s.token(), s.telemetryWhy());
    AgentServer server;
    try {
      server = AgentServer.start(new InetSocketAddress(s.bind(), s.port()), router, s.readTimeout());
    } catch (IOException e) {
      core.close();
      if (sd != null) sd.close();
      throw new IOException("cannot listen on " + s.bind() + ":" + s.port() + ": " + e.getMessage(), e);
    }
    Thread sweeper = Thread.ofVirtual().name("edgeppo-sweeper").start(() -> {
      long every = Math.max(1000, s.options().pendingTtl().toMillis() / 10);
      try {
        while (true) {
          Thread.sleep(every);
          core.sweep();
        }
      } catch (InterruptedException e) {
        // stopping
      }
    });
    KubeletPlugin dra = null;
    if (s.dra() != null) {
      try {
        dra = KubeletPlugin.start(s.dra(), telemetry, new AgentGrants(core));
      } catch (IOException | RuntimeException e) {
        server.stop(0);
        sweeper.interrupt();
        core.close();
        if (sd != null) sd.close();
        throw e;
      }
    }
    return new AgentRuntime(core, sd, server, sweeper, dra);
  }

  public int port() { return server.port(); }
  /** The DRA driver, or null when serve runs without one. */
  public KubeletPlugin dra() { return dra; }
  public AgentCore core() { return core; }

  /**
   * Graceful stop: no new connections, exchanges in flight get a second, a running update finishes, the
   * checkpoint is written, the journal closed. Bounded so that SIGTERM exits within ten seconds.
   */
  @Override
  public synchronized void close() throws IOException {
    if (closed) return;
    closed = true;
    // The DRA driver first: its registration socket goes, so the kubelet stops calling a closing agent.
    if (dra != null) dra.close();
    server.stop(1);
    sweeper.interrupt();
    core.close();
    try {
      if (!core.awaitIdle(TimeUnit.SECONDS.toMillis(1)))
        log(Level.WARNING, "an update was still running at shutdown; its experiences stay in the journal", Map.of());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (stateDir != null) {
      stateDir.flush();
      stateDir.close();
    }
    core.learner().close();
    log(Level.INFO, "stopped", Map.of("updates", core.updates(), "buffered", core.buffered()));
  }

  static void log(Level level, String msg, Map<String, ?> fields) {
    java.util.logging.LogRecord r = new java.util.logging.LogRecord(level, msg);
    r.setLoggerName(LOG.getName());
    r.setParameters(new Object[] {fields});
    LOG.log(r);
  }
}
