package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Allocation ids are random version-4 UUIDs, all distinct, on platform threads (own DRBG) and virtual ones. */
class AllocationIdsTest {
  private static void checkIds(Set<String> seen, int n) {
    for (int i = 0; i < n; i++) {
      String id = AllocationIds.next();
      UUID u = UUID.fromString(id);
      assertEquals(4, u.version(), id);
      assertEquals(2, u.variant(), id);
      assertEquals(id, u.toString());
      assertTrue(seen.add(id), "repeated id " + id);
    }
  }

  @Test
  void platformAndVirtualThreadsGetDistinctVersion4Ids() throws Exception {
    Set<String> seen = new HashSet<>();
    checkIds(seen, 20_000);
    Set<String> other = new HashSet<>();
    Thread p = Thread.ofPlatform().start(() -> checkIds(other, 20_000));
    p.join();
    Set<String> virtual = new HashSet<>();
    Thread v = Thread.ofVirtual().start(() -> checkIds(virtual, 1_000));
    v.join();
    assertEquals(20_000, other.size());
    assertEquals(1_000, virtual.size());
    // Two threads' generators are seeded apart: no id of one appears in the other's.
    int before = seen.size();
    seen.addAll(other);
    seen.addAll(virtual);
    assertEquals(before + 21_000, seen.size());
  }

  /** The bits of an id are not stuck: across ids every one of the 122 random bits takes both values. */
  @Test
  void everyRandomBitVaries() {
    long msbOr = 0, msbAnd = -1, lsbOr = 0, lsbAnd = -1;
    for (int i = 0; i < 2_000; i++) {
      UUID u = UUID.fromString(AllocationIds.next());
      msbOr |= u.getMostSignificantBits();
      msbAnd &= u.getMostSignificantBits();
      lsbOr |= u.getLeastSignificantBits();
      lsbAnd &= u.getLeastSignificantBits();
    }
    long versionBits = 0xF000L, variantBits = 0xC000_0000_0000_0000L;
    assertEquals(Long.toHexString(~versionBits), Long.toHexString(msbOr & ~msbAnd), "high bits that varied");
    assertEquals(Long.toHexString(~variantBits), Long.toHexString(lsbOr & ~lsbAnd), "low bits that varied");
  }
}
