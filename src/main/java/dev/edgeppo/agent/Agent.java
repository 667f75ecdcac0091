package dev.edgeppo.agent;

import dev.edgeppo.checkpoint.Checkpoint;
import dev.edgeppo.log.Events;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.ppo.UpdateBackend;
import dev.edgeppo.storage.StateFs;
import dev.edgeppo.telemetry.Telemetry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The agent's learning side put together in one place: the state dir (if any), the learner (the one place
 * that builds one, from the checkpoint or fresh), and the core. It opens them in order, closes what it
 * opened when a later step fails, and stops them in the reverse order. The learner takes over the backend.
 */
public final class Agent implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Agent.class.getName());

  private final StateDir stateDir;
  private final AgentCore core;
  private boolean closed;

  private Agent(StateDir stateDir, AgentCore core) {
    this.stateDir = stateDir;
    this.core = core;
  }

  /** The one way a learner is made: from a checkpoint when there is one, else SPEC's initialisation from {@code seed}. */
  public static PpoLearner learner(Hyperparameters hp, UpdateBackend backend, long seed, Checkpoint restored) {
    return restored == null ? PpoLearner.fresh(hp, backend, seed)
        : new PpoLearner(hp, backend, restored.params(), restored.adam(), restored.updates());
  }

  /**
   * Opens the state dir ({@code stateDir} null: nothing survives a restart), builds the learner and the core.
   * Call {@link #replay} once the core's observers are set. On failure everything opened here is closed,
   * the backend included.
   */
  public static Agent open(Path stateDir, StateFs fs, Hyperparameters hp, UpdateBackend backend, Telemetry telemetry,
                           AgentOptions options) throws IOException {
    StateDir sd = null;
    try {
      if (stateDir != null) sd = StateDir.open(fs, stateDir, hp);
      PpoLearner learner = learner(hp, backend, options.seed(), sd == null ? null : sd.checkpoint().orElse(null));
      AgentCore core = new AgentCore(learner, telemetry, options, sd == null ? Durability.NONE : sd, sd == null ? 0 : sd.nextSeq());
      report(stateDir, sd, learner);
      return new Agent(sd, core);
    } catch (IOException | RuntimeException | Error e) {
      try {
        if (sd != null) sd.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      backend.close();
      throw e;
    }
  }

  private static void report(Path dir, StateDir sd, PpoLearner learner) {
    if (sd == null) {
      Events.log(LOG, Level.WARNING, "no state dir: nothing learned survives a restart", Map.of());
      return;
    }
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("state_dir", dir.toString());
    f.put("updates", learner.updates());
    f.put("replay", sd.toReplay().size());
    f.put("journal_dropped_bytes", sd.journalDroppedBytes());
    Events.log(LOG, Level.INFO, sd.checkpoint().isPresent() ? "checkpoint loaded" : "no checkpoint; fresh policy", f);
    for (Journal.Corruption c : sd.journalCorruption())
      Events.log(LOG, Level.WARNING, "journal corrupt in the middle: the damaged bytes were skipped, every valid record after them kept",
          Map.of("journal", dir.resolve(StateDir.JOURNAL).toString(), "offset", c.offset(), "bytes", c.length()));
  }

  public AgentCore core() { return core; }

  /** Null when the agent runs without a state dir. */
  public StateDir stateDir() { return stateDir; }

  /** Hands the journal's experiences the checkpoint lacks to the core (which may start training them). */
  public void replay() {
    if (stateDir != null) core.replay(stateDir.toReplay());
  }

  /**
   * Stops within {@code deadline}: a running update gets all but the last second of it to finish, and is
   * otherwise abandoned (the journal still holds its batch); then the checkpoint of the last completed update
   * is written if it is not on disk yet, the journal closed, and the learner closed unless an abandoned
   * update may still be using its backend.
   */
  public synchronized void close(Duration deadline) throws IOException {
    if (closed) return;
    closed = true;
    long end = System.nanoTime() + deadline.toNanos();
    boolean idle = core.stop(deadline.minusSeconds(1).isNegative() ? Duration.ZERO : deadline.minusSeconds(1));
    if (!idle)
      Events.log(LOG, Level.WARNING, "an update was still running at shutdown; abandoned, its experiences stay in the journal",
          Map.of("updates", core.updates()));
    try {
      if (stateDir != null) {
        try {
          stateDir.flush(Math.max(0, (end - System.nanoTime()) / 1_000_000));
        } finally {
          stateDir.close();
        }
      }
    } finally {
      if (idle) core.learner().close();
    }
  }

  /** {@link #close(Duration)} with the agent's shutdown budget. */
  @Override
  public void close() throws IOException { close(SHUTDOWN); }

  /** What SIGTERM gets in all: well inside Kubernetes' default grace period, and the 10 s README promises. */
  public static final Duration SHUTDOWN = Duration.ofSeconds(7);
}
