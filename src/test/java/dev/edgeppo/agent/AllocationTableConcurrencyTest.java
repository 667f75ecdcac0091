package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.agent.AllocationTable.Record;
import dev.edgeppo.agent.AllocationTable.Status;
import dev.edgeppo.agent.AllocationTable.View;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The table from several threads at once, as the event loops (/allocate) and the feedback threads use it, with the
 * size cap dropping entries under them and a sweeper running: whatever the interleaving, every allocation is
 * accounted for once (pending = added - answered - expired), the table never holds more than its cap, and what a
 * reader finds pending is what {@link AllocationTable#pending} counts.
 */
class AllocationTableConcurrencyTest {
  @Test
  void countsStayExactUnderConcurrentAddsClaimsAndDrops() throws Exception {
    int threads = 4, perThread = 20_000, cap = 5_000;
    AllocationTable t = new AllocationTable(InstantSource.system(), Duration.ofHours(1), cap);
    ConcurrentLinkedQueue<String> ids = new ConcurrentLinkedQueue<>();
    AtomicLong answered = new AtomicLong(), gone = new AtomicLong();
    List<Thread> workers = new ArrayList<>();
    for (int w = 0; w < threads; w++) {
      long seed = w;
      workers.add(Thread.ofPlatform().start(() -> {
        Random rnd = new Random(seed);
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < perThread; i++) {
          String id = UUID.randomUUID().toString();
          t.add(new Record(id, new float[] {i, 1, 2, 3, 4}, new float[] {0.5f, 0.5f}, 0, 0, 10, 100, 10, 100, 0, "GPU-x", null,
              System.currentTimeMillis()));
          mine.add(id);
          ids.add(id);
          if (rnd.nextBoolean() && mine.size() > 3) {
            String pick = mine.get(mine.size() - 1 - rnd.nextInt(4));
            try {
              Record r = t.claim(pick);
              if (rnd.nextInt(5) == 0) t.release(r);
              else {
                t.answered(r);
                answered.incrementAndGet();
              }
            } catch (UnknownAllocationException | DuplicateFeedbackException e) {
              gone.incrementAndGet();
            }
          }
        }
      }));
    }
    Thread sweeper = Thread.ofPlatform().start(() -> {
      while (workers.stream().anyMatch(Thread::isAlive)) t.sweep();
    });
    for (Thread w : workers) w.join();
    sweeper.join();

    long added = (long) threads * perThread;
    assertEquals(added - answered.get() - t.expired(), t.pending(), "every allocation accounted for once");
    long found = 0, pendingFound = 0;
    for (String id : ids) {
      Optional<View> v = t.view(id);
      if (v.isEmpty()) continue;
      found++;
      if (v.get().status() == Status.PENDING) pendingFound++;
      assertEquals(id, v.get().record().id());
    }
    assertTrue(found <= cap, found + " entries in a table capped at " + cap);
    assertEquals(t.pending(), pendingFound, "what a reader finds pending is what the count says");
    assertTrue(t.expired() >= added - cap - answered.get(), "the cap dropped the rest: expired " + t.expired());
  }
}
