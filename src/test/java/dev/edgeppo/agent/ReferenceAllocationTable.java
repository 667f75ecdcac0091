package dev.edgeppo.agent;

import dev.edgeppo.agent.AllocationTable.Answer;
import dev.edgeppo.agent.AllocationTable.Observation;
import dev.edgeppo.agent.AllocationTable.Record;
import dev.edgeppo.agent.AllocationTable.Status;
import dev.edgeppo.agent.AllocationTable.View;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The allocation table as it was before its entries moved into flat arrays (main at 209a6fe: a concurrent map of
 * entry objects and a queue of ids), kept unchanged as the reference that {@link AllocationTableReferenceTest}
 * runs the same operations against. The only change is that it uses {@link AllocationTable}'s record types.
 */
final class ReferenceAllocationTable {
  private static final class Entry {
    final Record record;
    final AtomicReference<Status> status = new AtomicReference<>(Status.PENDING);
    volatile Answer answer;
    volatile Observation observation;
    volatile String expiredWhy;
    /** The pod bound after admission (webhook pods: no uid at /allocate); the record itself stays as claimed. */
    volatile String boundPodUid;

    Entry(Record record) { this.record = record; }
  }

  /** The TTL sweep runs at most this many times per TTL, so its cost per request stays constant. */
  static final int SWEEPS_PER_TTL = 10;

  private final InstantSource clock;
  private final long ttlMillis;
  private final int maxEntries;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  /** Ids in allocation order (so in age order): the TTL sweep and the size cap drop from the head. */
  private final ConcurrentLinkedQueue<String> order = new ConcurrentLinkedQueue<>();
  private final AtomicLong pending = new AtomicLong();
  private final LongAdder expired = new LongAdder();
  private final AtomicLong lastSweepMillis = new AtomicLong();

  ReferenceAllocationTable(InstantSource clock, Duration ttl, int maxEntries) {
    this.clock = clock;
    this.ttlMillis = ttl.toMillis();
    this.maxEntries = maxEntries;
    this.lastSweepMillis.set(clock.millis());
  }

  /** How often a background sweep should run: a tenth of the TTL, at least every second. */
  public static Duration sweepPeriod(Duration ttl) { return Duration.ofMillis(Math.max(1000, ttl.toMillis() / SWEEPS_PER_TTL)); }

  public void add(Record r) {
    entries.put(r.id(), new Entry(r));
    order.add(r.id());
    pending.incrementAndGet();
    while (entries.mappingCount() > maxEntries) dropOldest();
    maybeSweep(r.createdMillis());
  }

  /**
   * Takes a pending allocation out of play for its feedback. Throws (changing nothing) when the id is
   * unknown, already answered or being answered, or expired (which it then records).
   */
  public Record claim(String id) {
    long now = clock.millis();
    Entry e = entries.get(id);
    if (e == null) throw new UnknownAllocationException("unknown allocation_id '" + id + "'");
    if (e.status.get() == Status.EXPIRED)
      throw new UnknownAllocationException("allocation '" + id + "' " + (e.expiredWhy == null ? "expired" : e.expiredWhy));
    if (e.status.get() != Status.PENDING) throw duplicate(id);
    if (now - e.record.createdMillis() > ttlMillis) {
      expire(id, e);
      throw new UnknownAllocationException("allocation '" + id + "' expired after " + Duration.ofMillis(ttlMillis));
    }
    if (!e.status.compareAndSet(Status.PENDING, Status.ANSWERING)) throw duplicate(id);
    maybeSweep(now);
    return e.record;
  }

  /** The claimed allocation's experience is durable: its answer is final. */
  public void answered(Record r) { answered(r, null, null); }

  /** As {@link #answered(Record)}, keeping the answer (and what the observer saw) for {@link #view}. */
  public void answered(Record r, Answer answer, Observation observation) {
    Entry e = entries.get(r.id());
    if (e != null && e.record == r) {
      e.answer = answer;
      if (observation != null) e.observation = observation;
    }
    // The entry may have been dropped by the size cap meanwhile; the count is kept either way.
    if (e == null || e.record != r || e.status.compareAndSet(Status.ANSWERING, Status.ANSWERED)) pending.decrementAndGet();
  }

  /** The claimed allocation's feedback was refused: it is pending again, so the feedback can be retried. */
  public void release(Record r) {
    Entry e = entries.get(r.id());
    if (e != null && e.record == r) {
      e.status.compareAndSet(Status.ANSWERING, Status.PENDING);
    } else {
      // dropped by the size cap while in flight: it is gone, count it as expired
      pending.decrementAndGet();
      expired.increment();
    }
  }

  public Optional<View> view(String id) {
    Entry e = entries.get(id);
    if (e == null) return Optional.empty();
    Record r = e.boundPodUid == null ? e.record : e.record.withPodUid(e.boundPodUid);
    return Optional.of(new View(r, e.status.get(), e.answer, e.observation, e.expiredWhy));
  }

  /**
   * Names the pod of a pending allocation that named none (SPEC §5: a webhook pod, bound once it exists). False,
   * changing nothing, when the allocation is unknown, not pending, or already names a pod.
   */
  public synchronized boolean bindPod(String id, String podUid) {
    Entry e = entries.get(id);
    if (e == null || e.status.get() != Status.PENDING || e.record.podUid() != null || e.boundPodUid != null) return false;
    e.boundPodUid = podUid;
    return true;
  }

  /** Records what the observer says of a pending allocation (why it is not observed, say). */
  public void observation(String id, Observation o) {
    Entry e = entries.get(id);
    if (e != null) e.observation = o;
  }

  /**
   * Expires a pending allocation before its TTL ({@code why} says why, SPEC §5: its pod never showed a GPU
   * process). Unlike a TTL expiry the entry stays until the TTL, so GET /v1/allocations shows the reason and
   * a late feedback gets 404 with it. False when it was not pending.
   */
  public boolean expire(String id, String why) {
    Entry e = entries.get(id);
    if (e == null) return false;
    if (!e.status.compareAndSet(Status.PENDING, Status.EXPIRED)) return false;
    e.expiredWhy = why;
    pending.decrementAndGet();
    expired.increment();
    return true;
  }

  private static DuplicateFeedbackException duplicate(String id) {
    return new DuplicateFeedbackException("allocation '" + id + "' already had its feedback");
  }

  private void expire(String id, Entry e) {
    if (e.status.compareAndSet(Status.PENDING, Status.EXPIRED)) {
      entries.remove(id, e);
      pending.decrementAndGet();
      expired.increment();
    }
  }

  /**
   * Drops entries older than the TTL from the head of the age queue: unanswered ones count as expired,
   * answered ones are just forgotten. Costs what it drops, not the size of the table.
   */
  public void sweep() {
    long now = clock.millis();
    lastSweepMillis.set(now);
    for (String id; (id = order.peek()) != null; ) {
      Entry e = entries.get(id);
      if (e != null && now - e.record.createdMillis() <= ttlMillis) return;
      dropOldest();
    }
  }

  /** Forgets the oldest id in the queue (expiring it if still unanswered). */
  private void dropOldest() {
    String id = order.poll();
    if (id == null) return;
    Entry e = entries.get(id);
    if (e == null) return;
    if (e.status.get() == Status.PENDING) expire(id, e);
    if (e.status.get() != Status.PENDING) entries.remove(id, e);
  }

  private void maybeSweep(long now) {
    long last = lastSweepMillis.get();
    if (now - last > Math.max(1, ttlMillis / SWEEPS_PER_TTL) && lastSweepMillis.compareAndSet(last, now)) sweep();
  }

  /** Allocations without a final answer (being answered included). */
  public long pending() { return pending.get(); }

  public long expired() { return expired.sum(); }
}
