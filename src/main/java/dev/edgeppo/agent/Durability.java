package dev.edgeppo.agent;

import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.ppo.UpdateMetrics;

/**
 * Where an {@link AgentCore} makes what it learns survive a crash: completed experiences into a journal,
 * the learner into a checkpoint after each update. {@link #NONE} keeps everything in memory (simulator).
 */
public interface Durability {
  /** Called in seq order under the core's lock; writes the record, need not flush it. */
  void append(Experience e);

  /** Called before a feedback is answered, outside the lock: returns once {@code seq} is on disk. */
  void sync(long seq);

  /** Called on the trainer after each update: experiences up to {@code trainedThroughSeq} are now in the learner. */
  void updated(PpoLearner learner, long trainedThroughSeq, UpdateMetrics metrics);

  Durability NONE = new Durability() {
    public void append(Experience e) {}
    public void sync(long seq) {}
    public void updated(PpoLearner learner, long trainedThroughSeq, UpdateMetrics metrics) {}
  };
}
