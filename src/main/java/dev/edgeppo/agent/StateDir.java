package dev.edgeppo.agent;

import dev.edgeppo.checkpoint.Checkpoint;
import dev.edgeppo.log.Events;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.ppo.UpdateMetrics;
import dev.edgeppo.storage.StateFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The agent's state directory and the durability protocol's file side ({@link Durability} states the
 * steps): {@code checkpoint.safetensors} (what was learned, with {@code trained_through_seq}, the last
 * experience it holds) and {@code journal.log} (completed experiences the checkpoint does not hold yet).
 * Every file operation goes through a {@link StateFs}, so tests can fail any one of them.
 *
 * <p>Guarantee: an experience whose feedback was answered 200 is either in the checkpoint or replayed
 * from the journal after any crash, kill -9 included, and never both; a completed update is kept once its
 * checkpoint is renamed into place (otherwise its experiences are replayed and trained again). Pending
 * allocations (no feedback yet) live in memory only: their feedback after a restart gets 404.
 */
public final class StateDir implements Durability, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(StateDir.class.getName());
  public static final String CHECKPOINT = "checkpoint.safetensors";
  public static final String JOURNAL = "journal.log";
  static final String TRAINED_THROUGH = "trained_through_seq";

  /** What one checkpoint holds: the learner's snapshot and the last experience trained into it. */
  private record Learned(PpoLearner.Snapshot snapshot, long trainedThrough) {}

  private final StateFs fs;
  private final Path dir;
  private final Hyperparameters hp;
  private final Journal journal;
  private final Checkpoint restored;
  private final List<Experience> replay;
  private final long nextSeq;
  /** Serialises checkpoint writes; shutdown waits for it only a bounded time. */
  private final ReentrantLock writing = new ReentrantLock();
  private volatile Learned latest;
  private volatile long checkpointedUpdates;
  private final AtomicLong failedCompactions = new AtomicLong();
  /** After close nothing is written: an update abandoned at shutdown that ends late must not touch the files. */
  private volatile boolean closed;

  private StateDir(StateFs fs, Path dir, Hyperparameters hp, Journal journal, Checkpoint restored, long trainedThrough) {
    this.fs = fs;
    this.dir = dir;
    this.hp = hp;
    this.journal = journal;
    this.restored = restored;
    this.replay = journal.recovered().stream().filter(e -> e.seq() > trainedThrough).toList();
    long last = trainedThrough;
    for (Experience e : journal.recovered()) last = Math.max(last, e.seq());
    this.nextSeq = last + 1;
    this.checkpointedUpdates = restored == null ? 0 : restored.updates();
    this.latest = null;
  }

  public static StateDir open(Path dir, Hyperparameters hp) throws IOException { return open(StateFs.real(), dir, hp); }

  /**
   * Reads the checkpoint if there is one (a corrupt one is refused with the reason, never half-loaded) and
   * opens the journal. Errors say which file and why (permission denied, no such file, ...).
   */
  public static StateDir open(StateFs fs, Path dir, Hyperparameters hp) throws IOException {
    try {
      fs.createDirectories(dir);
    } catch (IOException e) {
      throw new IOException("cannot create the state dir " + dir + ": " + StateFs.reason(e), e);
    }
    if (!Files.isWritable(dir))
      throw new IOException("the state dir " + dir + " is not writable by this user (permission denied): checkpoints and the journal live there");
    Path ck = dir.resolve(CHECKPOINT);
    fs.deleteIfExists(StateFs.tempOf(ck)); // a crash while writing a checkpoint; the old one is whole
    Checkpoint c = null;
    long through = -1;
    if (Files.exists(ck)) {
      c = readCheckpoint(ck, hp);
      String t = c.metadata().get(TRAINED_THROUGH);
      try {
        through = t == null ? -1 : Long.parseLong(t);
      } catch (NumberFormatException e) {
        throw new IOException(ck + ": metadata '" + TRAINED_THROUGH + "' is not a number: '" + t + "'");
      }
    }
    Journal j;
    try {
      j = Journal.open(fs, dir.resolve(JOURNAL));
    } catch (IOException e) {
      throw new IOException("cannot open the journal " + dir.resolve(JOURNAL) + ": " + StateFs.reason(e), e);
    }
    return new StateDir(fs, dir, hp, j, c, through);
  }

  private static Checkpoint readCheckpoint(Path ck, Hyperparameters hp) throws IOException {
    Checkpoint c;
    try {
      c = Checkpoint.read(ck);
    } catch (dev.edgeppo.checkpoint.Safetensors.FormatException e) {
      throw e; // says what is wrong with the file; refused whole
    } catch (IOException e) {
      throw new IOException("cannot read the checkpoint " + ck + ": " + StateFs.reason(e), e);
    }
    if (c.hyperparameters().hidden() != hp.hidden())
      throw new IOException(ck + " holds networks with hidden=" + c.hyperparameters().hidden()
          + " but the configuration says hidden=" + hp.hidden() + "; set hidden to match or move the checkpoint away");
    if (!c.verified())
      Events.log(LOG, Level.WARNING, "checkpoint has no checksums (format_version 1): loaded without verifying its data; "
          + "the next checkpoint written carries them", Map.of("checkpoint", ck.toString()));
    return c;
  }

  /** The checkpoint read at open, if there was one: what the learner starts from. */
  public Optional<Checkpoint> checkpoint() { return Optional.ofNullable(restored); }

  /** Journaled experiences the checkpoint does not hold: hand them to {@link AgentCore#replay}. */
  public List<Experience> toReplay() { return replay; }

  /** Bytes of a torn journal tail cut off at open. */
  public long journalDroppedBytes() { return journal.droppedBytes(); }

  /** Corrupt stretches found between valid journal records at open (their records are lost; the rest kept). */
  public List<Journal.Corruption> journalCorruption() { return journal.corruptRegions(); }

  /** Compactions that failed (the journal stays usable; replay skips what the checkpoint holds). */
  @Override
  public long failedCompactions() { return failedCompactions.get(); }

  @Override
  public long journalCorruptBytesAtStart() { return journal.corruptRegions().stream().mapToLong(Journal.Corruption::length).sum(); }

  /** The seq the next completed experience gets. */
  public long nextSeq() { return nextSeq; }

  @Override
  public void append(Experience e) { journal.append(e); }

  @Override
  public void sync(long seq) { journal.sync(seq); }

  @Override
  public Optional<String> health() { return journal.health(); }

  /** Step 5 (checkpoint) then step 6 (compact). A failed compaction is logged, not thrown: nothing is lost. */
  @Override
  public void updated(PpoLearner.Snapshot s, long through, UpdateMetrics metrics) {
    if (closed) return;
    Learned l = new Learned(s, through);
    latest = l;
    writing.lock();
    try {
      if (closed) return;
      write(l);
    } catch (IOException e) {
      throw new StateDirException("cannot write the checkpoint", dir.resolve(CHECKPOINT), e);
    } finally {
      writing.unlock();
    }
    try {
      journal.compact(through);
    } catch (IOException | RuntimeException e) {
      failedCompactions.incrementAndGet();
      Events.log(LOG, Level.WARNING, "journal compaction failed; the journal stays in use and replay skips what the checkpoint holds",
          Map.of("journal", dir.resolve(JOURNAL).toString(), "error", StateFs.reason(e instanceof IOException io ? io : new IOException(e.getMessage()))));
    }
  }

  /**
   * At shutdown: writes the last completed update's checkpoint if it is not on disk yet (its write failed
   * earlier). Never waits for a running update, and for a checkpoint being written only up to {@code waitMillis}.
   */
  public void flush(long waitMillis) throws IOException {
    Learned l = latest;
    if (l == null || l.snapshot().updates() == checkpointedUpdates) return;
    try {
      if (!writing.tryLock(waitMillis, TimeUnit.MILLISECONDS)) return; // the trainer is writing it right now
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    try {
      l = latest;
      if (l.snapshot().updates() != checkpointedUpdates) write(l);
    } finally {
      writing.unlock();
    }
  }

  private void write(Learned l) throws IOException {
    Checkpoint.write(fs, dir.resolve(CHECKPOINT), l.snapshot(), hp, Map.of(TRAINED_THROUGH, Long.toString(l.trainedThrough())));
    checkpointedUpdates = l.snapshot().updates();
  }

  @Override
  public void close() throws IOException {
    writing.lock();
    try {
      closed = true;
    } finally {
      writing.unlock();
    }
    journal.close();
  }
}
