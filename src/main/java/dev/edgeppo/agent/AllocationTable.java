package dev.edgeppo.agent;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The allocations the agent has handed out and what became of them, with their TTL and a size cap. Owns
 * nothing else. An answer is given in two steps so that a refused feedback changes nothing: {@link #claim}
 * takes the allocation out of play (a concurrent second feedback gets 409), then {@link #answered} makes it
 * final once the experience is durable, or {@link #release} puts it back when it could not be made durable.
 *
 * <p>Entries are kept after their answer until the TTL, so a late duplicate gets 409, not 404.
 *
 * <p>Storage: at 5,000 allocations a second with a TTL of seconds, tens of thousands of entries wait for their
 * feedback at any time. Kept as objects (a record, its id string, its arrays, map and queue nodes: about ten
 * per entry) they were what every young collection copied, 8-12 MB each time, and those pauses set /allocate's
 * p99.9 (docs/performance.md, "Issue 21: the pending table"). So an entry is a slot in a ring of a few flat
 * primitive arrays, in allocation order (the TTL and the size cap drop from the oldest end), found by its id
 * through {@link UuidIndex}; a collection copies those arrays at most a few times before they are old, whatever
 * the number of entries. What is rare or open-ended (an observation, a reason, a bound pod, the record handed
 * out by {@link #claim} while it is being answered, ids and names not in UUID spelling) stays an object beside
 * the slot. Records are copied in and out: a caller never holds the table's own arrays. One lock guards it all;
 * every operation is a few array writes, and a sweep drops at most {@value #SWEEP_BATCH} entries per hold.
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

  /** The TTL sweep runs at most this many times per TTL, so its cost per request stays constant. */
  static final int SWEEPS_PER_TTL = 10;
  /** Entries a sweep drops per hold of the lock, so that a request never waits behind a whole sweep. */
  static final int SWEEP_BATCH = 256;
  /** Slots the ring starts with; it doubles when full. */
  static final int INITIAL_SLOTS = 1024;
  /**
   * The ring's largest size (2^24 slots, about 2.3 GB at 136 bytes each): past it the oldest entry is dropped. Also
   * the largest {@code max_pending} serve takes.
   */
  public static final int MAX_SLOTS = 1 << 24;
  /** Distinct GPU UUIDs kept as a number per slot; more (never on one node) are kept beside the slot. */
  static final int MAX_GPU_NAMES = 256;

  private static final Status[] STATUSES = Status.values();
  /** A slot's status: a {@link Status} ordinal, or this once its entry is gone (still in the ring until the head passes it). */
  private static final int REMOVED = -1;
  private static final int PENDING = Status.PENDING.ordinal(), ANSWERING = Status.ANSWERING.ordinal(),
      ANSWERED = Status.ANSWERED.ordinal(), EXPIRED = Status.EXPIRED.ordinal();
  /** Where a slot's pod uid or GPU name is: none, in the slot, beside it ({@link Extra}). */
  private static final int NONE = 0, IN_SLOT = 1, BESIDE = 2;

  /** What a slot does not hold as numbers; most entries have none. */
  private static final class Extra {
    String id;               // an id not in UUID spelling
    String podUid;           // a pod uid not in UUID spelling
    String gpuUuid;          // past MAX_GPU_NAMES distinct names
    Record claimed;          // what claim() handed out, while the entry is being answered
    Observation observation;
    String expiredWhy;
    String boundPodUid;      // the pod bound after admission; the record itself stays as claimed

    boolean empty() {
      return id == null && podUid == null && gpuUuid == null && claimed == null && observation == null && expiredWhy == null
          && boundPodUid == null;
    }
  }

  private final InstantSource clock;
  private final long ttlMillis;
  private final int maxEntries;
  private final Object lock = new Object();
  // Guarded by lock:
  /** Null until the first entry gives the state's and action's lengths. */
  private Slots slots;
  /** Sequence numbers [head, tail) are in the ring, oldest first; a slot is {@code seq & mask}. */
  private long head, tail;
  /** Entries that can be found by id (ring slots not yet removed). */
  private int live;
  private final UuidIndex byUuid = new UuidIndex();
  private final Map<String, Long> byOtherId = new HashMap<>();
  private final Map<Long, Extra> extras = new HashMap<>();
  private final List<String> gpuNames = new ArrayList<>();
  private final Map<String, Integer> gpuNumbers = new HashMap<>();
  // Read without the lock (metrics):
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

  /**
   * Adds a new allocation (its arrays are copied). Throws, changing nothing, when its id is already in the table
   * or its state or action has another length than the first entry's (one learner, one shape).
   */
  public void add(Record r) {
    synchronized (lock) {
      if (find(r.id()) >= 0) throw new IllegalArgumentException("allocation id '" + r.id() + "' is already in the table");
      if (slots == null) slots = new Slots(r.state().length, r.action().length, INITIAL_SLOTS);
      if (r.state().length != slots.stateDim || r.action().length != slots.actionDim)
        throw new IllegalArgumentException("state/action of lengths " + r.state().length + "/" + r.action().length
            + " in a table of " + slots.stateDim + "/" + slots.actionDim);
      if (tail - head == slots.capacity) {
        if (slots.capacity < MAX_SLOTS) slots = slots.grow(head, tail);
        else dropOldest();
      }
      write(tail++, r);
      live++;
      pending.incrementAndGet();
      while (live > maxEntries) dropOldest();
    }
    maybeSweep(r.createdMillis());
  }

  /**
   * Takes a pending allocation out of play for its feedback. Throws (changing nothing) when the id is
   * unknown, already answered or being answered, or expired (which it then records).
   */
  public Record claim(String id) {
    long now = clock.millis();
    Record out;
    synchronized (lock) {
      long seq = find(id);
      if (seq < 0) throw new UnknownAllocationException("unknown allocation_id '" + id + "'");
      int status = slots.status(seq);
      if (status == EXPIRED) {
        Extra x = extras.get(seq);
        String why = x == null ? null : x.expiredWhy;
        throw new UnknownAllocationException("allocation '" + id + "' " + (why == null ? "expired" : why));
      }
      if (status != PENDING) throw duplicate(id);
      if (now - slots.longAt(seq, Slots.CREATED) > ttlMillis) {
        expireAndRemove(seq);
        throw new UnknownAllocationException("allocation '" + id + "' expired after " + Duration.ofMillis(ttlMillis));
      }
      slots.status(seq, ANSWERING);
      out = record(seq);
      extra(seq).claimed = out;
    }
    maybeSweep(now);
    return out;
  }

  /** The claimed allocation's experience is durable: its answer is final. */
  public void answered(Record r) { answered(r, null, null); }

  /** As {@link #answered(Record)}, keeping the answer (and what the observer saw) for {@link #view}. */
  public void answered(Record r, Answer answer, Observation observation) {
    synchronized (lock) {
      long seq = find(r.id());
      Extra x = seq < 0 ? null : extras.get(seq);
      if (x == null || x.claimed != r) {
        // dropped by the size cap meanwhile: the count is kept either way
        pending.decrementAndGet();
        return;
      }
      slots.answer(seq, answer);
      if (observation != null) x.observation = observation;
      x.claimed = null;
      forgetIfEmpty(seq, x);
      if (slots.status(seq) == ANSWERING) {
        slots.status(seq, ANSWERED);
        pending.decrementAndGet();
      }
    }
  }

  /** The claimed allocation's feedback was refused: it is pending again, so the feedback can be retried. */
  public void release(Record r) {
    synchronized (lock) {
      long seq = find(r.id());
      Extra x = seq < 0 ? null : extras.get(seq);
      if (x != null && x.claimed == r) {
        if (slots.status(seq) == ANSWERING) slots.status(seq, PENDING);
        x.claimed = null;
        forgetIfEmpty(seq, x);
      } else {
        // dropped by the size cap while in flight: it is gone, count it as expired
        pending.decrementAndGet();
        expired.increment();
      }
    }
  }

  public Optional<View> view(String id) {
    synchronized (lock) {
      long seq = find(id);
      if (seq < 0) return Optional.empty();
      Record r = record(seq);
      Extra x = extras.get(seq);
      if (x != null && x.boundPodUid != null) r = r.withPodUid(x.boundPodUid);
      return Optional.of(new View(r, STATUSES[slots.status(seq)], slots.answer(seq), x == null ? null : x.observation,
          x == null ? null : x.expiredWhy));
    }
  }

  /**
   * Names the pod of a pending allocation that named none (SPEC §5: a webhook pod, bound once it exists). False,
   * changing nothing, when the allocation is unknown, not pending, or already names a pod.
   */
  public boolean bindPod(String id, String podUid) {
    synchronized (lock) {
      long seq = find(id);
      if (seq < 0 || slots.status(seq) != PENDING || slots.podKind(seq) != NONE) return false;
      Extra x = extras.get(seq);
      if (x != null && x.boundPodUid != null) return false;
      extra(seq).boundPodUid = podUid;
      return true;
    }
  }

  /** Records what the observer says of a pending allocation (why it is not observed, say). */
  public void observation(String id, Observation o) {
    synchronized (lock) {
      long seq = find(id);
      if (seq < 0) return;
      Extra x = extra(seq);
      x.observation = o;
      forgetIfEmpty(seq, x);
    }
  }

  /**
   * Expires a pending allocation before its TTL ({@code why} says why, SPEC §5: its pod never showed a GPU
   * process). Unlike a TTL expiry the entry stays until the TTL, so GET /v1/allocations shows the reason and
   * a late feedback gets 404 with it. False when it was not pending.
   */
  public boolean expire(String id, String why) {
    synchronized (lock) {
      long seq = find(id);
      if (seq < 0 || slots.status(seq) != PENDING) return false;
      slots.status(seq, EXPIRED);
      Extra x = extra(seq);
      x.expiredWhy = why;
      forgetIfEmpty(seq, x);
      pending.decrementAndGet();
      expired.increment();
      return true;
    }
  }

  private static DuplicateFeedbackException duplicate(String id) {
    return new DuplicateFeedbackException("allocation '" + id + "' already had its feedback");
  }

  /**
   * Drops entries older than the TTL from the head of the ring: unanswered ones count as expired,
   * answered ones are just forgotten. Costs what it drops, not the size of the table.
   */
  public void sweep() {
    long now = clock.millis();
    lastSweepMillis.set(now);
    while (true) {
      synchronized (lock) {
        for (int n = 0; n < SWEEP_BATCH; n++) {
          if (head == tail) return;
          if (slots.status(head) != REMOVED && now - slots.longAt(head, Slots.CREATED) <= ttlMillis) return;
          dropOldest();
        }
      }
    }
  }

  /** Allocations without a final answer (being answered included). */
  public long pending() { return pending.get(); }

  public long expired() { return expired.sum(); }

  // ---- under the lock ----

  /** The sequence number of the entry with this id, or -1. */
  private long find(String id) {
    if (id == null) return -1;
    if (UuidIndex.isCanonical(id)) return byUuid.get(UuidIndex.high(id), UuidIndex.low(id));
    Long seq = byOtherId.get(id);
    return seq == null ? -1 : seq;
  }

  private Extra extra(long seq) { return extras.computeIfAbsent(seq, k -> new Extra()); }

  private void forgetIfEmpty(long seq, Extra x) { if (x.empty()) extras.remove(seq); }

  /** Forgets the oldest entry in the ring (expiring it if still unanswered). */
  private void dropOldest() {
    if (head == tail) return;
    long seq = head++;
    int status = slots.status(seq);
    if (status == REMOVED) return;
    if (status == PENDING) expireAndRemove(seq);
    else remove(seq);
  }

  /** A pending entry past its TTL or cap: counted as expired and gone. */
  private void expireAndRemove(long seq) {
    if (slots.status(seq) != PENDING) return;
    remove(seq);
    pending.decrementAndGet();
    expired.increment();
  }

  /** The entry can no longer be found; its slot is reused once the head passes it. */
  private void remove(long seq) {
    Extra x = extras.remove(seq);
    if (x != null && x.id != null) byOtherId.remove(x.id);
    else byUuid.remove(slots.longAt(seq, Slots.ID_HI), slots.longAt(seq, Slots.ID_LO));
    slots.status(seq, REMOVED);
    live--;
  }

  private void write(long seq, Record r) {
    Slots s = slots;
    s.clear(seq);
    if (UuidIndex.isCanonical(r.id())) {
      long h = UuidIndex.high(r.id()), l = UuidIndex.low(r.id());
      s.longAt(seq, Slots.ID_HI, h);
      s.longAt(seq, Slots.ID_LO, l);
      byUuid.put(h, l, seq);
    } else {
      extra(seq).id = r.id();
      byOtherId.put(r.id(), seq);
    }
    if (r.podUid() == null) {
      s.podKind(seq, NONE);
    } else if (UuidIndex.isCanonical(r.podUid())) {
      s.podKind(seq, IN_SLOT);
      s.longAt(seq, Slots.POD_HI, UuidIndex.high(r.podUid()));
      s.longAt(seq, Slots.POD_LO, UuidIndex.low(r.podUid()));
    } else {
      s.podKind(seq, BESIDE);
      extra(seq).podUid = r.podUid();
    }
    int gpuName = gpuNumber(r.gpuUuid());
    if (gpuName == Slots.GPU_NAME_BESIDE) extra(seq).gpuUuid = r.gpuUuid();
    s.intAt(seq, Slots.GPU_NAME, gpuName);
    s.vectors(seq, r.state(), r.action());
    s.floatAt(seq, Slots.LOG_PROB, r.logProb());
    s.floatAt(seq, Slots.VALUE, r.value());
    s.intAt(seq, Slots.REQUESTED_CORES, r.requestedCores());
    s.longAt(seq, Slots.REQUESTED_MEMORY, r.requestedMemoryMb());
    s.intAt(seq, Slots.CORES, r.cores());
    s.longAt(seq, Slots.MEMORY, r.memoryMb());
    s.intAt(seq, Slots.GPU_INDEX, r.gpuIndex());
    s.longAt(seq, Slots.CREATED, r.createdMillis());
    s.status(seq, PENDING);
  }

  /** A new record with the entry's fields (its own copies of the arrays), as it was added. */
  private Record record(long seq) {
    Slots s = slots;
    Extra x = extras.get(seq);
    String id = x != null && x.id != null ? x.id : UuidIndex.text(s.longAt(seq, Slots.ID_HI), s.longAt(seq, Slots.ID_LO));
    String podUid = switch (s.podKind(seq)) {
      case IN_SLOT -> UuidIndex.text(s.longAt(seq, Slots.POD_HI), s.longAt(seq, Slots.POD_LO));
      case BESIDE -> x.podUid;
      default -> null;
    };
    int gpuName = s.intAt(seq, Slots.GPU_NAME);
    String gpuUuid = gpuName == Slots.GPU_NAME_NULL ? null : gpuName == Slots.GPU_NAME_BESIDE ? x.gpuUuid : gpuNames.get(gpuName);
    return new Record(id, s.state(seq), s.action(seq), s.floatAt(seq, Slots.LOG_PROB), s.floatAt(seq, Slots.VALUE),
        s.intAt(seq, Slots.REQUESTED_CORES), s.longAt(seq, Slots.REQUESTED_MEMORY), s.intAt(seq, Slots.CORES),
        s.longAt(seq, Slots.MEMORY), s.intAt(seq, Slots.GPU_INDEX), gpuUuid, podUid, s.longAt(seq, Slots.CREATED));
  }

  /** A GPU's UUID as a small number (a node has a few GPUs), or where it is kept instead. */
  private int gpuNumber(String uuid) {
    if (uuid == null) return Slots.GPU_NAME_NULL;
    Integer n = gpuNumbers.get(uuid);
    if (n != null) return n;
    if (gpuNames.size() == MAX_GPU_NAMES) return Slots.GPU_NAME_BESIDE;
    gpuNames.add(uuid);
    gpuNumbers.put(uuid, gpuNames.size() - 1);
    return gpuNames.size() - 1;
  }

  private void maybeSweep(long now) {
    long last = lastSweepMillis.get();
    if (now - last > Math.max(1, ttlMillis / SWEEPS_PER_TTL) && lastSweepMillis.compareAndSet(last, now)) sweep();
  }

  /**
   * The ring's storage: per slot, a run of longs, a run of ints and a run of floats at {@code (seq & mask) * stride}
   * in three arrays. Field names are offsets into a run.
   */
  private static final class Slots {
    static final int ID_HI = 0, ID_LO = 1, POD_HI = 2, POD_LO = 3, REQUESTED_MEMORY = 4, MEMORY = 5, CREATED = 6,
        USAGE = 7, REWARD = 8, LONGS = 9;
    static final int REQUESTED_CORES = 0, CORES = 1, GPU_INDEX = 2, GPU_NAME = 3, PODS = 4, STATUS = 5, FLAGS = 6, INTS = 7;
    /** After the state and the action. */
    static final int LOG_PROB = 0, VALUE = 1;
    static final int GPU_NAME_NULL = -1, GPU_NAME_BESIDE = -2;
    /** FLAGS: pod kind in bits 0-1, answer source in bits 2-3 (0 none, else Source ordinal + 1), qos_met 4, done 5. */
    private static final int POD_KIND_MASK = 0b11, SOURCE_SHIFT = 2, QOS_MET = 1 << 4, DONE = 1 << 5;
    private static final Source[] SOURCES = Source.values();

    final int stateDim, actionDim, floats, capacity;
    private final int mask;
    private final long[] longArray;
    private final int[] intArray;
    private final float[] floatArray;

    Slots(int stateDim, int actionDim, int capacity) {
      this.stateDim = stateDim;
      this.actionDim = actionDim;
      this.floats = stateDim + actionDim + 2;
      this.capacity = capacity;
      this.mask = capacity - 1;
      this.longArray = new long[capacity * LONGS];
      this.intArray = new int[capacity * INTS];
      this.floatArray = new float[capacity * floats];
    }

    /** Twice the slots, holding sequence numbers [head, tail) where they belong in the larger ring. */
    Slots grow(long head, long tail) {
      Slots to = new Slots(stateDim, actionDim, capacity * 2);
      for (long seq = head; seq < tail; seq++) {
        int a = slot(seq), b = to.slot(seq);
        System.arraycopy(longArray, a * LONGS, to.longArray, b * LONGS, LONGS);
        System.arraycopy(intArray, a * INTS, to.intArray, b * INTS, INTS);
        System.arraycopy(floatArray, a * floats, to.floatArray, b * floats, floats);
      }
      return to;
    }

    private int slot(long seq) { return (int) (seq & mask); }

    long longAt(long seq, int field) { return longArray[slot(seq) * LONGS + field]; }
    void longAt(long seq, int field, long v) { longArray[slot(seq) * LONGS + field] = v; }
    int intAt(long seq, int field) { return intArray[slot(seq) * INTS + field]; }
    void intAt(long seq, int field, int v) { intArray[slot(seq) * INTS + field] = v; }
    float floatAt(long seq, int field) { return floatArray[slot(seq) * floats + stateDim + actionDim + field]; }
    void floatAt(long seq, int field, float v) { floatArray[slot(seq) * floats + stateDim + actionDim + field] = v; }

    int status(long seq) { return intAt(seq, STATUS); }
    void status(long seq, int status) { intAt(seq, STATUS, status); }
    int podKind(long seq) { return intAt(seq, FLAGS) & POD_KIND_MASK; }
    void podKind(long seq, int kind) { intAt(seq, FLAGS, intAt(seq, FLAGS) & ~POD_KIND_MASK | kind); }

    /** Zeroes a slot before it is reused (the answer fields of its previous entry). */
    void clear(long seq) {
      int i = slot(seq);
      java.util.Arrays.fill(longArray, i * LONGS, (i + 1) * LONGS, 0);
      java.util.Arrays.fill(intArray, i * INTS, (i + 1) * INTS, 0);
    }

    void vectors(long seq, float[] state, float[] action) {
      int at = slot(seq) * floats;
      System.arraycopy(state, 0, floatArray, at, stateDim);
      System.arraycopy(action, 0, floatArray, at + stateDim, actionDim);
    }

    float[] state(long seq) {
      int at = slot(seq) * floats;
      return java.util.Arrays.copyOfRange(floatArray, at, at + stateDim);
    }

    float[] action(long seq) {
      int at = slot(seq) * floats + stateDim;
      return java.util.Arrays.copyOfRange(floatArray, at, at + actionDim);
    }

    void answer(long seq, Answer a) {
      int flags = intAt(seq, FLAGS) & POD_KIND_MASK;
      if (a != null) {
        flags |= (a.source().ordinal() + 1) << SOURCE_SHIFT | (a.qosMet() ? QOS_MET : 0) | (a.done() ? DONE : 0);
        longAt(seq, USAGE, Double.doubleToRawLongBits(a.actualUsage()));
        longAt(seq, REWARD, Double.doubleToRawLongBits(a.reward()));
        intAt(seq, PODS, a.pods());
      }
      intAt(seq, FLAGS, flags);
    }

    /** The answer, or null when none was kept. */
    Answer answer(long seq) {
      int flags = intAt(seq, FLAGS);
      int source = flags >>> SOURCE_SHIFT & 0b11;
      if (source == 0) return null;
      return new Answer(SOURCES[source - 1], Double.longBitsToDouble(longAt(seq, USAGE)), (flags & QOS_MET) != 0,
          intAt(seq, PODS), (flags & DONE) != 0, Double.longBitsToDouble(longAt(seq, REWARD)));
    }
  }
}
