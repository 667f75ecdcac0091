package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.agent.AllocationTable.Answer;
import dev.edgeppo.agent.AllocationTable.Observation;
import dev.edgeppo.agent.AllocationTable.Record;
import dev.edgeppo.agent.AllocationTable.Source;
import dev.edgeppo.agent.AllocationTable.View;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The array-backed {@link AllocationTable} against {@link ReferenceAllocationTable} (the object-per-entry table
 * it replaced): the same seeded sequence of operations on both, with one clock, and after every operation the
 * same answer or the same refusal (exception type and message), the same pending and expired counts, and at the
 * end the same view of every id ever used.
 */
class AllocationTableReferenceTest {
  private static final long TTL = 1_000;
  private static final String[] GPUS = {"GPU-0a1b", "GPU-77f0", "GPU-c3d2", null};

  /** A clock the test moves. */
  private static final class Clock implements InstantSource {
    long millis = 1_700_000_000_000L;

    @Override
    public Instant instant() { return Instant.ofEpochMilli(millis); }
  }

  /** One claimed allocation: the record each table handed out, for its answered or release. */
  private record Claimed(Record ours, Record reference) {}

  @ParameterizedTest(name = "seed {0}, cap {1}, clock moves in {2} of 1000 operations")
  @CsvSource({
      "1, 40, 50",      // the size cap drops entries all the time
      "2, 100000, 50",  // the TTL does
      "3, 3000, 2",     // thousands of entries: the ring and the index grow past their first size
      "4, 7, 200",
  })
  void sameAnswersAsTheReference(long seed, int cap, int clockPerMille) {
    Clock clock = new Clock();
    AllocationTable ours = new AllocationTable(clock, Duration.ofMillis(TTL), cap);
    ReferenceAllocationTable ref = new ReferenceAllocationTable(clock, Duration.ofMillis(TTL), cap);
    Random rnd = new Random(seed);
    List<String> ids = new ArrayList<>();
    List<Claimed> inFlight = new ArrayList<>();
    int added = 0;
    for (int op = 0; op < 60_000; op++) {
      int k = rnd.nextInt(1000);
      if (k < clockPerMille) {
        clock.millis += rnd.nextInt((int) TTL / 3);
        continue;
      }
      int what = rnd.nextInt(100);
      String id = ids.isEmpty() || rnd.nextInt(20) == 0 ? newId(rnd, added) : ids.get(pickRecent(rnd, ids.size()));
      if (what < 40) {
        id = newId(rnd, added++);
        Record r = newRecord(rnd, id, clock.millis());
        ours.add(r);
        ref.add(r);
        ids.add(id);
      } else if (what < 62) {
        String claimId = id;
        Object a = outcome(() -> ours.claim(claimId)), b = outcome(() -> ref.claim(claimId));
        if (a instanceof Record ra && b instanceof Record rb) {
          assertRecord(rb, ra);
          inFlight.add(new Claimed(ra, rb));
        } else {
          assertEquals(b, a, "claim " + claimId);
        }
      } else if (what < 77 && !inFlight.isEmpty()) {
        Claimed c = inFlight.remove(rnd.nextInt(inFlight.size()));
        if (rnd.nextInt(4) == 0) {
          ours.release(c.ours());
          ref.release(c.reference());
        } else {
          Answer answer = rnd.nextInt(5) == 0 ? null : new Answer(rnd.nextBoolean() ? Source.HTTP : Source.OBSERVED,
              rnd.nextDouble() * 100, rnd.nextBoolean(), rnd.nextInt(8), rnd.nextBoolean(), rnd.nextGaussian());
          Observation obs = rnd.nextInt(3) == 0 ? new Observation(rnd.nextInt(9), null, 12L, List.of("seen")) : null;
          ours.answered(c.ours(), answer, obs);
          ref.answered(c.reference(), answer, obs);
        }
      } else if (what < 87) {
        assertView(ref.view(id), ours.view(id), id);
      } else if (what < 91) {
        String pod = rnd.nextBoolean() ? UUID.randomUUID().toString() : "pod-" + op;
        assertEquals(ref.bindPod(id, pod), ours.bindPod(id, pod), "bindPod " + id);
      } else if (what < 95) {
        Observation o = new Observation(0, null, null, List.of("not observed: " + op));
        ours.observation(id, o);
        ref.observation(id, o);
      } else if (what < 98) {
        String why = rnd.nextInt(4) == 0 ? null : "its pod never showed a GPU process (" + op + ")";
        assertEquals(ref.expire(id, why), ours.expire(id, why), "expire " + id);
      } else {
        ours.sweep();
        ref.sweep();
      }
      assertEquals(ref.pending(), ours.pending(), "pending after operation " + op);
      assertEquals(ref.expired(), ours.expired(), "expired after operation " + op);
    }
    for (String id : ids) assertView(ref.view(id), ours.view(id), id);
    assertTrue(added > 15_000, "the run added " + added);
  }

  /** A sweep past many batches' worth of old entries drops them all, as the reference does. */
  @Test
  void aLongSweepDropsEverythingPastItsTtl() {
    Clock clock = new Clock();
    AllocationTable ours = new AllocationTable(clock, Duration.ofMillis(TTL), 100_000);
    ReferenceAllocationTable ref = new ReferenceAllocationTable(clock, Duration.ofMillis(TTL), 100_000);
    Random rnd = new Random(9);
    int n = 10 * AllocationTable.SWEEP_BATCH + 3;
    for (int i = 0; i < n; i++) {
      Record r = newRecord(rnd, UUID.randomUUID().toString(), clock.millis());
      ours.add(r);
      ref.add(r);
    }
    clock.millis += TTL + 1;
    Record young = newRecord(rnd, UUID.randomUUID().toString(), clock.millis());
    ours.add(young); // add sweeps too: the last sweep was more than a tenth of the TTL ago
    ref.add(young);
    assertEquals(1, ours.pending());
    assertEquals(n, ours.expired());
    assertEquals(ref.expired(), ours.expired());
    assertTrue(ours.view(young.id()).isPresent());
  }

  /** What goes in comes out equal but not shared: the caller's arrays are copied in, and each read copies out. */
  @Test
  void recordsAreCopiedInAndOut() {
    Clock clock = new Clock();
    AllocationTable t = new AllocationTable(clock, Duration.ofMillis(TTL), 10);
    Record r = newRecord(new Random(3), UUID.randomUUID().toString(), clock.millis());
    t.add(r);
    float first = r.state()[0];
    r.state()[0] = 42f;
    Record back = t.claim(r.id());
    assertEquals(first, back.state()[0]);
    assertNotSame(r.action(), back.action());
    assertArrayEquals(r.action(), back.action());
    back.state()[1] = -1f;
    assertEquals(r.state()[1], t.view(r.id()).orElseThrow().record().state()[1]);
  }

  /** An id already in the table, or a state of another length, is refused and changes nothing. */
  @Test
  void aRepeatedIdOrAnotherShapeIsRefused() {
    Clock clock = new Clock();
    AllocationTable t = new AllocationTable(clock, Duration.ofMillis(TTL), 10);
    Record r = newRecord(new Random(4), UUID.randomUUID().toString(), clock.millis());
    t.add(r);
    assertThrows(IllegalArgumentException.class, () -> t.add(r));
    Record longer = new Record(UUID.randomUUID().toString(), new float[6], new float[2], 0, 0, 1, 1, 1, 1, 0, null, null,
        clock.millis());
    assertThrows(IllegalArgumentException.class, () -> t.add(longer));
    assertEquals(1, t.pending());
    assertTrue(t.view(longer.id()).isEmpty());
    assertEquals(AllocationTable.Status.PENDING, t.view(r.id()).orElseThrow().status());
  }

  /** Mostly random UUIDs as the agent makes them; some ids and spellings the compact index does not take. */
  private static String newId(Random rnd, int n) {
    return switch (rnd.nextInt(20)) {
      case 0 -> "alloc-" + n;
      case 1 -> new UUID(rnd.nextLong(), rnd.nextLong()).toString().toUpperCase(Locale.ROOT);
      default -> new UUID(rnd.nextLong(), rnd.nextLong()).toString();
    };
  }

  /** Mostly recent ids (those still in the table), sometimes any. */
  private static int pickRecent(Random rnd, int size) {
    return rnd.nextInt(4) == 0 ? rnd.nextInt(size) : Math.max(0, size - 1 - rnd.nextInt(Math.min(size, 200)));
  }

  private static Record newRecord(Random rnd, String id, long now) {
    float[] state = new float[5], action = new float[2];
    for (int i = 0; i < state.length; i++) state[i] = rnd.nextFloat();
    for (int i = 0; i < action.length; i++) action[i] = rnd.nextFloat();
    String pod = switch (rnd.nextInt(6)) {
      case 0, 1 -> UUID.randomUUID().toString();
      case 2 -> "3E5F6A1C_1B2C_4D3E_8F90_0123456789AB";
      default -> null;
    };
    return new Record(id, state, action, (float) rnd.nextGaussian(), (float) rnd.nextGaussian(), 1 + rnd.nextInt(100),
        1 + rnd.nextInt(16_000), 1 + rnd.nextInt(100), 1 + rnd.nextInt(16_000), rnd.nextInt(3), GPUS[rnd.nextInt(GPUS.length)],
        pod, now);
  }

  /** The value returned, or the exception's type and message. */
  private static Object outcome(Callable<Object> c) {
    try {
      return c.call();
    } catch (Exception e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  private static void assertView(Optional<View> expected, Optional<View> actual, String id) {
    assertEquals(expected.isPresent(), actual.isPresent(), "view " + id);
    if (expected.isEmpty()) return;
    View e = expected.get(), a = actual.get();
    assertRecord(e.record(), a.record());
    assertEquals(e.status(), a.status(), id);
    assertEquals(e.answer(), a.answer(), id);
    assertEquals(e.observation(), a.observation(), id);
    assertEquals(e.expiredWhy(), a.expiredWhy(), id);
  }

  private static void assertRecord(Record e, Record a) {
    String id = e.id();
    assertEquals(id, a.id());
    assertArrayEquals(e.state(), a.state(), id);
    assertArrayEquals(e.action(), a.action(), id);
    assertEquals(e.logProb(), a.logProb(), id);
    assertEquals(e.value(), a.value(), id);
    assertEquals(e.requestedCores(), a.requestedCores(), id);
    assertEquals(e.requestedMemoryMb(), a.requestedMemoryMb(), id);
    assertEquals(e.cores(), a.cores(), id);
    assertEquals(e.memoryMb(), a.memoryMb(), id);
    assertEquals(e.gpuIndex(), a.gpuIndex(), id);
    assertEquals(e.gpuUuid(), a.gpuUuid(), id);
    assertEquals(e.podUid(), a.podUid(), id);
    assertEquals(e.createdMillis(), a.createdMillis(), id);
  }
}
