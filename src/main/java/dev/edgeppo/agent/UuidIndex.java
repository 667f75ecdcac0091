package dev.edgeppo.agent;

import java.util.UUID;

/**
 * A map from UUIDs, held as their two 64-bit halves, to non-negative longs, in three flat arrays (open
 * addressing, linear probing, backward-shift deletion). {@link AllocationTable} finds an allocation's slot
 * by its id with it: a hash map of String keys would keep three objects alive per allocation, which every
 * young collection copies while the allocation waits for its feedback (docs/performance.md, "Issue 21: the
 * pending table"). Not thread-safe: its owner locks.
 *
 * <p>Also the one place that turns a UUID's canonical text (what {@link UUID#toString} writes: 36
 * characters, lower-case hex, dashes at 8, 13, 18 and 23) into its bits and back. Only that spelling is
 * taken, so that text → bits → text gives the same string and a lookup by a differently spelled id finds
 * nothing, as a lookup by the string itself would.
 */
final class UuidIndex {
  static final long ABSENT = -1;
  private static final int MIN_CAPACITY = 16;

  private long[] hi, lo;
  /** The value plus one; 0 marks an empty cell. */
  private long[] valuePlusOne;
  private int mask;
  private int size;

  UuidIndex() { allocate(MIN_CAPACITY); }

  int size() { return size; }

  long get(long h, long l) {
    for (int i = home(h, l); ; i = (i + 1) & mask) {
      long v = valuePlusOne[i];
      if (v == 0) return ABSENT;
      if (hi[i] == h && lo[i] == l) return v - 1;
    }
  }

  /** Maps (h, l) to {@code value} (>= 0), replacing any previous value. */
  void put(long h, long l, long value) {
    if (value < 0) throw new IllegalArgumentException("value must be >= 0, got " + value);
    if (2 * (size + 1) > hi.length) resize(hi.length * 2); // load at most 1/2: probes stay short
    for (int i = home(h, l); ; i = (i + 1) & mask) {
      if (valuePlusOne[i] == 0) {
        hi[i] = h;
        lo[i] = l;
        valuePlusOne[i] = value + 1;
        size++;
        return;
      }
      if (hi[i] == h && lo[i] == l) {
        valuePlusOne[i] = value + 1;
        return;
      }
    }
  }

  /** Removes (h, l); false when it was not there. */
  boolean remove(long h, long l) {
    int i = home(h, l);
    while (true) {
      if (valuePlusOne[i] == 0) return false;
      if (hi[i] == h && lo[i] == l) break;
      i = (i + 1) & mask;
    }
    // Backward shift: move later cells of the same probe run into the hole, so lookups need no tombstones.
    for (int j = (i + 1) & mask; valuePlusOne[j] != 0; j = (j + 1) & mask) {
      int k = home(hi[j], lo[j]);
      boolean staysPut = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (staysPut) continue;
      hi[i] = hi[j];
      lo[i] = lo[j];
      valuePlusOne[i] = valuePlusOne[j];
      i = j;
    }
    valuePlusOne[i] = 0;
    size--;
    return true;
  }

  private int home(long h, long l) {
    long x = h * 0x9E3779B97F4A7C15L ^ l; // ids are random, but the mix keeps other keys (tests) spread too
    x ^= x >>> 31;
    x *= 0xBF58476D1CE4E5B9L;
    x ^= x >>> 29;
    return (int) x & mask;
  }

  private void allocate(int capacity) {
    hi = new long[capacity];
    lo = new long[capacity];
    valuePlusOne = new long[capacity];
    mask = capacity - 1;
    size = 0;
  }

  private void resize(int capacity) {
    long[] oh = hi, ol = lo, ov = valuePlusOne;
    allocate(capacity);
    for (int i = 0; i < ov.length; i++) if (ov[i] != 0) put(oh[i], ol[i], ov[i] - 1);
  }

  /** Whether {@code s} is a UUID in {@link UUID#toString}'s spelling. */
  static boolean isCanonical(String s) {
    if (s == null || s.length() != 36) return false;
    for (int i = 0; i < 36; i++) {
      char c = s.charAt(i);
      if (i == 8 || i == 13 || i == 18 || i == 23) {
        if (c != '-') return false;
      } else if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }

  /** The high half of a canonical UUID (check {@link #isCanonical} first). */
  static long high(String s) { return hex(s, 0, 8) << 32 | hex(s, 9, 4) << 16 | hex(s, 14, 4); }

  /** The low half of a canonical UUID (check {@link #isCanonical} first). */
  static long low(String s) { return hex(s, 19, 4) << 48 | hex(s, 24, 12); }

  static String text(long h, long l) { return new UUID(h, l).toString(); }

  private static long hex(String s, int from, int n) {
    long v = 0;
    for (int i = from; i < from + n; i++) v = v << 4 | Character.digit(s.charAt(i), 16);
    return v;
  }

  @Override
  public String toString() { return "UuidIndex[size=" + size + ", capacity=" + hi.length + "]"; }
}
