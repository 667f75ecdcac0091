package dev.edgeppo.agent;

import dev.edgeppo.checkpoint.Checkpoint;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.ppo.UpdateBackend;
import dev.edgeppo.ppo.UpdateMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The agent's state directory: {@code checkpoint.safetensors} (what was learned) and {@code journal.log}
 * (completed experiences the checkpoint does not hold yet). The checkpoint's metadata says up to which
 * experience it was trained ({@code trained_through_seq}), so replay skips what it already holds even
 * when a crash came between writing the checkpoint and compacting the journal.
 *
 * <p>Guarantee: an experience whose feedback was answered 200 is either in the checkpoint or replayed
 * from the journal after any crash, kill -9 included; a completed update is kept once its checkpoint is
 * renamed into place (otherwise its experiences are replayed and trained again). Pending allocations
 * (no feedback yet) live in memory only: their feedback after a restart gets 404.
 */
public final class StateDir implements Durability, AutoCloseable {
  public static final String CHECKPOINT = "checkpoint.safetensors";
  public static final String JOURNAL = "journal.log";
  static final String TRAINED_THROUGH = "trained_through_seq";

  private final Path dir;
  private final Hyperparameters hp;
  private final Journal journal;
  private final PpoLearner learner;
  private final List<Experience> replay;
  private final boolean loadedCheckpoint;
  private volatile long trainedThrough;
  private volatile long checkpointedUpdates;
  /** Latest seq the learner holds, even when writing its checkpoint failed. */
  private volatile long learnedThrough;

  private StateDir(Path dir, Hyperparameters hp, Journal journal, PpoLearner learner, List<Experience> replay,
                   boolean loaded, long trainedThrough) {
    this.dir = dir;
    this.hp = hp;
    this.journal = journal;
    this.learner = learner;
    this.replay = replay;
    this.loadedCheckpoint = loaded;
    this.trainedThrough = trainedThrough;
    this.checkpointedUpdates = learner.updates();
    this.learnedThrough = trainedThrough;
  }

  /**
   * Loads the checkpoint if there is one (a corrupt one is refused with the reason, never half-loaded),
   * else starts a fresh learner from {@code seed}; opens the journal.
   */
  public static StateDir open(Path dir, Hyperparameters hp, UpdateBackend backend, long seed) throws IOException {
    Files.createDirectories(dir);
    Path ck = dir.resolve(CHECKPOINT);
    PpoLearner learner;
    long through = -1;
    boolean loaded = Files.exists(ck);
    if (loaded) {
      Checkpoint c = Checkpoint.read(ck);
      if (c.hyperparameters().hidden() != hp.hidden())
        throw new IOException(ck + " holds networks with hidden=" + c.hyperparameters().hidden()
            + " but the configuration says hidden=" + hp.hidden() + "; set hidden to match or move the checkpoint away");
      // A policy learned under one action mapping grants something else under another (SPEC §1).
      if (c.hyperparameters().actionMapping() != hp.actionMapping())
        throw new IOException(ck + " was learned under the action mapping '" + c.hyperparameters().actionMapping()
            + "' but the configuration says '" + hp.actionMapping() + "'; set action_mapping (or the profile, e.g. --profile "
            + c.hyperparameters().profile() + ") to match or move the checkpoint away");
      String t = c.metadata().get(TRAINED_THROUGH);
      try {
        through = t == null ? -1 : Long.parseLong(t);
      } catch (NumberFormatException e) {
        throw new IOException(ck + ": metadata '" + TRAINED_THROUGH + "' is not a number: '" + t + "'");
      }
      learner = new PpoLearner(hp, backend, c.params(), c.adam(), c.updates());
    } else {
      learner = PpoLearner.fresh(hp, backend, seed);
    }
    Journal j = Journal.open(dir.resolve(JOURNAL));
    long th = through;
    List<Experience> replay = j.recovered().stream().filter(e -> e.seq() > th).toList();
    return new StateDir(dir, hp, j, learner, replay, loaded, through);
  }

  public PpoLearner learner() { return learner; }
  /** Journaled experiences the checkpoint does not hold: hand them to {@link AgentCore#replay}. */
  public List<Experience> toReplay() { return replay; }
  public boolean loadedCheckpoint() { return loadedCheckpoint; }
  public long journalDroppedBytes() { return journal.droppedBytes(); }
  public Path dir() { return dir; }

  /** The seq the next completed experience gets. */
  public long nextSeq() {
    long last = trainedThrough;
    for (Experience e : journal.recovered()) last = Math.max(last, e.seq());
    return last + 1;
  }

  @Override
  public void append(Experience e) { journal.append(e); }

  @Override
  public void sync(long seq) { journal.sync(seq); }

  @Override
  public synchronized void updated(PpoLearner l, long through, UpdateMetrics metrics) {
    learnedThrough = through;
    try {
      writeCheckpoint(l, through);
      journal.compact(through);
    } catch (IOException e) {
      throw new UncheckedIOException("state dir " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Writes the checkpoint if an update happened since the last one (at shutdown). */
  public synchronized void flush() throws IOException {
    if (learner.updates() != checkpointedUpdates) writeCheckpoint(learner, learnedThrough);
  }

  private void writeCheckpoint(PpoLearner l, long through) throws IOException {
    PpoLearner.Snapshot s = l.snapshot();
    Checkpoint.write(dir.resolve(CHECKPOINT), s, hp, Map.of(TRAINED_THROUGH, Long.toString(through)));
    trainedThrough = through;
    checkpointedUpdates = s.updates();
  }

  @Override
  public void close() throws IOException { journal.close(); }
}
