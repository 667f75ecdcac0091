package dev.edgeppo.agent;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The allocations the agent has handed out and what became of them, with their TTL and a size cap. Owns
 * nothing else. An answer is given in two steps so that a refused feedback changes nothing: {@link #claim}
 * takes the allocation out of play (a concurrent second feedback gets 409), then {@link #answered} makes it
 * final once the experience is durable, or {@link #release} puts it back when it could not be made durable.
 *
 * <p>Entries are kept after their answer until the TTL, so a late duplicate gets 409, not 404.
 */
public final class AllocationTable {
  /** Where an allocation is in its life. */
  public enum Status { PENDING, ANSWERING, ANSWERED, EXPIRED }

  /**
   * What the agent keeps about one allocation: what training needs (state, unclipped action, log-prob, V(s)),
   * the request and the grant, and who it is for.
   *
   * @param podUid null when the caller did not name the pod
   */
  public record Record(String id, float[] state, float[] action, float logProb, float value, int requestedCores,
                       long requestedMemoryMb, int cores, long memoryMb, int gpuIndex, String gpuUuid, String podUid,
                       long createdMillis) {
    /** This record naming its pod (a webhook pod bound after admission, SPEC §5). */
    public Record withPodUid(String uid) {
      return new Record(id, state, action, logProb, value, requestedCores, requestedMemoryMb, cores, memoryMb, gpuIndex, gpuUuid,
          uid, createdMillis);
    }
  }

  /** Who reported an allocation's feedback. */
  public enum Source { HTTP, OBSERVED }

  /** The feedback that answered an allocation, and its reward. */
  public record Answer(Source source, double actualUsage, boolean qosMet, int pods, boolean done, double reward) {}

  /**
   * What the pod observer saw of an allocation (SPEC §4 {@code observation}): the readings it judged and why it
   * judged as it did, or why it did not observe. {@code throttledSamples} and {@code peakMemoryMib} are null
   * when nothing was read.
   */
  public record Observation(int samples, Integer throttledSamples, Long peakMemoryMib, List<String> why,
                            dev.edgeppo.observe.slo.SloVerdict slo) {
    public Observation {
      why = List.copyOf(why);
    }

    /** An observation without a declared service level (or not judged yet). */
    public Observation(int samples, Integer throttledSamples, Long peakMemoryMib, List<String> why) {
      this(samples, throttledSamples, peakMemoryMib, why, null);
    }
  }

  /**
   * A record, its current status, and what is known of its end: the answer (null until answered), the
   * observation (null when none was asked for), and why it expired (null unless it did, before the TTL).
   */
  public record View(Record record, Status status, Answer answer, Observation observation, String expiredWhy) {}

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

  public AllocationTable(InstantSource clock, Duration ttl, int maxEntries) {
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
