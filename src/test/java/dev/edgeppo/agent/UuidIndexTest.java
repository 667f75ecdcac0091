package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** {@link UuidIndex} against a {@link HashMap}, and its reading of UUID text against {@link UUID}'s own. */
class UuidIndexTest {
  private record Key(long h, long l) {}

  /** Few distinct keys, so that probe runs collide, wrap around the end and shift back on removal. */
  @Test
  void sameAsAHashMapUnderPutsAndRemovals() {
    Random rnd = new Random(5);
    UuidIndex index = new UuidIndex();
    Map<Key, Long> ref = new HashMap<>();
    for (int op = 0; op < 200_000; op++) {
      Key k = new Key(rnd.nextInt(3), rnd.nextInt(op < 100_000 ? 3_000 : 40));
      switch (rnd.nextInt(3)) {
        case 0 -> {
          long v = rnd.nextInt(1 << 20);
          index.put(k.h(), k.l(), v);
          ref.put(k, v);
        }
        case 1 -> assertEquals(ref.remove(k) != null, index.remove(k.h(), k.l()), "remove " + k);
        default -> assertEquals(ref.getOrDefault(k, UuidIndex.ABSENT), index.get(k.h(), k.l()), "get " + k);
      }
      assertEquals(ref.size(), index.size());
    }
    for (int h = 0; h < 3; h++)
      for (int l = 0; l < 3_000; l++) assertEquals(ref.getOrDefault(new Key(h, l), UuidIndex.ABSENT), index.get(h, l));
  }

  @Test
  void readsCanonicalTextAsUuidDoesAndWritesItBack() {
    Random rnd = new Random(6);
    for (int i = 0; i < 10_000; i++) {
      UUID u = new UUID(rnd.nextLong(), rnd.nextLong());
      String s = u.toString();
      assertTrue(UuidIndex.isCanonical(s), s);
      assertEquals(u.getMostSignificantBits(), UuidIndex.high(s), s);
      assertEquals(u.getLeastSignificantBits(), UuidIndex.low(s), s);
      assertEquals(s, UuidIndex.text(UuidIndex.high(s), UuidIndex.low(s)));
    }
  }

  /** Other spellings are not taken: a lookup by them must find nothing, as a lookup by the string would. */
  @Test
  void takesOnlyUuidToStringsSpelling() {
    String ok = "3e5f6a1c-1b2c-4d3e-8f90-0123456789ab";
    assertTrue(UuidIndex.isCanonical(ok));
    for (String bad : List.of("3E5F6A1C-1B2C-4D3E-8F90-0123456789AB", "3e5f6a1c_1b2c_4d3e_8f90_0123456789ab",
        "3e5f6a1c-1b2c-4d3e-8f90-0123456789a", "3e5f6a1c-1b2c-4d3e-8f90-0123456789abc", "3e5f6a1c-1b2c-4d3e-8f90-0123456789ag",
        "3e5f6a1c1b2c-4d3e-8f90-0123456789ab-", "", "alloc-1"))
      assertFalse(UuidIndex.isCanonical(bad), bad);
    assertFalse(UuidIndex.isCanonical(null));
  }
}
