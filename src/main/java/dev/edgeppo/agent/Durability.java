package dev.edgeppo.agent;

import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.ppo.UpdateMetrics;
import java.util.Optional;

/**
 * Where an {@link AgentCore} makes what it learns survive a crash. The protocol, in order:
 *
 * <ol>
 *   <li><b>append</b>: the completed experience's record is written to the journal, numbered in the same
 *       critical section ({@link #append});
 *   <li><b>fsync</b>: the journal is forced, one flush for every record written so far ({@link #sync});
 *   <li><b>mark answered</b>: only now is the allocation answered and the experience buffered, and the
 *       feedback gets 200. When step 1 or 2 fails, the record is cut back, the allocation is pending again
 *       and the feedback gets 503: nothing changed, and a retry can succeed;
 *   <li><b>train</b>: a full batch (a run of consecutive durable seqs) updates the learner, which publishes
 *       a snapshot of what it now holds;
 *   <li><b>checkpoint</b>: that snapshot is written atomically with {@code trained_through_seq} = the
 *       batch's last seq ({@link #updated});
 *   <li><b>compact</b>: journal records the checkpoint holds are dropped (also in {@link #updated}).
 * </ol>
 *
 * A crash between any two steps loses nothing answered 200: before step 3 nobody was told; from step 3 the
 * record is in the journal; until step 5 completes the batch is replayed and trained again from the
 * journal; after it, replay skips what the checkpoint holds whether or not step 6 ran. {@link #NONE} keeps
 * everything in memory (the simulator).
 */
public interface Durability {
  /** Step 1, called in seq order inside the seq's critical section: writes the record, need not flush it. */
  void append(Experience e);

  /** Step 2, called outside that section: returns once {@code seq} is on disk, or throws. */
  void sync(long seq);

  /** Steps 5 and 6, on the trainer after each update: {@code s} holds every experience up to {@code trainedThroughSeq}. */
  void updated(PpoLearner.Snapshot s, long trainedThroughSeq, UpdateMetrics metrics);

  /** Empty while feedback can be made durable, else why not (for /readyz; no paths). */
  default Optional<String> health() { return Optional.empty(); }

  /** Bytes of corruption skipped between valid journal records when the agent started (metric). */
  default long journalCorruptBytesAtStart() { return 0; }

  /** Compactions that failed; the journal stayed in use (metric). */
  default long failedCompactions() { return 0; }

  Durability NONE = new Durability() {
    public void append(Experience e) {}
    public void sync(long seq) {}
    public void updated(PpoLearner.Snapshot s, long trainedThroughSeq, UpdateMetrics metrics) {}
  };
}
