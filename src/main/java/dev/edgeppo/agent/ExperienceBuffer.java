package dev.edgeppo.agent;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeMap;
import java.util.function.LongFunction;

/**
 * Sequence numbers and the experiences waiting for an update. Owns nothing else.
 *
 * <p>An experience gets its seq when its record is written, in the same critical section, so seq order is
 * file order. It joins the buffer only once it is durable, and only in seq order: while an earlier one is
 * still being synced, later ones wait behind it. So the buffer always holds a run of increasing seqs with
 * no durable one missing, and a batch's last seq ({@code trained_through_seq}) covers exactly the
 * experiences trained so far; a seq that never became durable is simply absent (its feedback was refused).
 */
final class ExperienceBuffer {
  /** Something that writes a record; may throw, in which case the seq is not used. */
  interface Writer {
    void write(Experience e);
  }

  private final int batchSize;
  private final Object lock = new Object();
  private final ArrayList<Experience> ready = new ArrayList<>();
  /** Written but not yet in the buffer, by seq; durable ones wait here for earlier ones to settle. */
  private final TreeMap<Long, InFlight> inFlight = new TreeMap<>();

  private static final class InFlight {
    final Experience e;
    boolean durable;

    InFlight(Experience e) { this.e = e; }
  }
  private long nextSeq;

  ExperienceBuffer(int batchSize, long firstSeq) {
    this.batchSize = batchSize;
    this.nextSeq = firstSeq;
  }

  /** Numbers the experience {@code make} builds and writes it, in one critical section (seq order = file order). */
  Experience write(LongFunction<Experience> make, Writer writer) {
    synchronized (lock) {
      Experience e = make.apply(nextSeq);
      writer.write(e); // throws: nothing was taken, the seq is reused
      nextSeq++;
      inFlight.put(e.seq(), new InFlight(e));
      return e;
    }
  }

  /** The experience is durable: it joins the buffer when every earlier one has been settled. Returns the buffer's size. */
  int durable(Experience e) {
    synchronized (lock) {
      inFlight.get(e.seq()).durable = true;
      promote();
      return ready.size();
    }
  }

  /** The experience could not be made durable: it never joins the buffer. */
  void failed(Experience e) {
    synchronized (lock) {
      inFlight.remove(e.seq());
      promote();
    }
  }

  private void promote() {
    while (!inFlight.isEmpty() && inFlight.firstEntry().getValue().durable) ready.add(inFlight.pollFirstEntry().getValue().e);
  }

  /** Experiences a journal replays at start: durable already, in seq order. */
  void replay(Collection<Experience> es) {
    synchronized (lock) {
      for (Experience e : es) {
        ready.add(e);
        nextSeq = Math.max(nextSeq, e.seq() + 1);
      }
    }
  }

  boolean hasBatch() {
    synchronized (lock) { return ready.size() >= batchSize; }
  }

  /** The oldest full batch, removed from the buffer; null when there is none. */
  List<Experience> takeBatch() {
    synchronized (lock) {
      if (ready.size() < batchSize) return null;
      List<Experience> b = new ArrayList<>(ready.subList(0, batchSize));
      ready.subList(0, batchSize).clear();
      return b;
    }
  }

  int batchSize() { return batchSize; }

  int size() { synchronized (lock) { return ready.size(); } }

  long nextSeq() { synchronized (lock) { return nextSeq; } }
}
