package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
  @TempDir Path dir;

  static Experience exp(long seq, SplittableRandom r) {
    float[] s = new float[5], a = new float[2], n = new float[5];
    for (int i = 0; i < 5; i++) { s[i] = (float) r.nextDouble(); n[i] = (float) r.nextDouble(); }
    for (int i = 0; i < 2; i++) a[i] = (float) r.nextGaussian();
    return new Experience(seq, s, a, (float) r.nextGaussian(), (float) r.nextGaussian(), (float) r.nextGaussian(), n, r.nextBoolean());
  }

  static void assertSame(List<Experience> want, List<Experience> got) {
    assertEquals(want.size(), got.size());
    for (int i = 0; i < want.size(); i++) {
      Experience w = want.get(i), g = got.get(i);
      assertEquals(w.seq(), g.seq());
      assertArrayEquals(w.state(), g.state());
      assertArrayEquals(w.action(), g.action());
      assertArrayEquals(w.nextState(), g.nextState());
      assertEquals(w.logProb(), g.logProb());
      assertEquals(w.value(), g.value());
      assertEquals(w.reward(), g.reward());
      assertEquals(w.done(), g.done());
    }
  }

  List<Experience> write(Path f, int n) throws Exception {
    SplittableRandom r = new SplittableRandom(5);
    List<Experience> es = new ArrayList<>();
    try (Journal j = Journal.open(f)) {
      for (int i = 0; i < n; i++) {
        Experience e = exp(i, r);
        j.append(e);
        j.sync(e.seq());
        es.add(e);
      }
    }
    return es;
  }

  @Test
  void everyTruncationKeepsTheWholeRecordsBeforeIt() throws Exception {
    Path f = dir.resolve("journal.log");
    List<Experience> es = write(f, 3);
    byte[] full = Files.readAllBytes(f);
    int rec = Journal.RECORD;
    assertEquals(3 * rec, full.length);
    for (int cut = 0; cut <= full.length; cut++) {
      Path g = dir.resolve("cut" + cut);
      Files.write(g, Arrays.copyOf(full, cut));
      try (Journal j = Journal.open(g)) {
        assertSame(es.subList(0, cut / rec), j.recovered());
        assertEquals(cut % rec, j.droppedBytes());
        assertEquals(cut / rec * rec, Files.size(g), "torn tail is cut off");
      }
    }
  }

  /**
   * Issue 9 item 3: one flipped bit in record 4 of 32 loses record 4 only. Every later record with a valid
   * CRC is kept and the file is not truncated (main cut it after record 3, destroying 28 valid records).
   */
  @Test
  void aFlippedBitMidFileLosesThatRecordOnlyAndTruncatesNothing() throws Exception {
    Path f = dir.resolve("journal.log");
    List<Experience> es = write(f, 32);
    byte[] b = Files.readAllBytes(f);
    int rec = Journal.RECORD;
    b[3 * rec + Journal.HEADER + 13] ^= 0x10;
    Files.write(f, b);
    try (Journal j = Journal.open(f)) {
      List<Experience> want = new ArrayList<>(es);
      want.remove(3);
      assertSame(want, j.recovered());
      assertEquals(0, j.droppedBytes(), "nothing is cut: the damage is not at the tail");
      assertEquals(List.of(new Journal.Corruption(3L * rec, rec)), j.corruptRegions());
      assertEquals(b.length, Files.size(f), "the file keeps every acknowledged byte");
    }
  }

  /** Garbage of any length between records (not a whole record) is skipped by resynchronising on the next valid one. */
  @Test
  void resynchronisesPastGarbageOfAnyLength() throws Exception {
    Path f = dir.resolve("journal.log");
    List<Experience> es = write(f, 6);
    byte[] b = Files.readAllBytes(f);
    int rec = Journal.RECORD;
    for (int junk : new int[] {1, 7, rec - 1, rec + 3}) {
      byte[] c = new byte[b.length + junk];
      System.arraycopy(b, 0, c, 0, 2 * rec);
      java.util.Arrays.fill(c, 2 * rec, 2 * rec + junk, (byte) 0x5a);
      System.arraycopy(b, 2 * rec, c, 2 * rec + junk, b.length - 2 * rec);
      Path g = dir.resolve("junk" + junk);
      Files.write(g, c);
      try (Journal j = Journal.open(g)) {
        assertSame(es, j.recovered());
        assertEquals(List.of(new Journal.Corruption(2L * rec, junk)), j.corruptRegions());
      }
    }
  }

  /** A bad last record is a torn tail: it is cut off (and reported as dropped, not as corruption). */
  @Test
  void aBadLastRecordIsATornTail() throws Exception {
    Path f = dir.resolve("journal.log");
    List<Experience> es = write(f, 4);
    byte[] b = Files.readAllBytes(f);
    b[b.length - 3] ^= 0x01;
    Files.write(f, b);
    try (Journal j = Journal.open(f)) {
      assertSame(es.subList(0, 3), j.recovered());
      assertEquals(Journal.RECORD, j.droppedBytes());
      assertTrue(j.corruptRegions().isEmpty());
      assertEquals(3L * Journal.RECORD, Files.size(f));
    }
  }

  @Test
  void appendsAfterARecoveredTailContinueTheFile() throws Exception {
    Path f = dir.resolve("journal.log");
    List<Experience> es = write(f, 2);
    Files.write(f, Arrays.copyOf(Files.readAllBytes(f), Files.readAllBytes(f).length - 5));
    Experience more = exp(1, new SplittableRandom(9));
    try (Journal j = Journal.open(f)) {
      j.append(more);
      j.sync(1);
    }
    try (Journal j = Journal.open(f)) {
      assertSame(List.of(es.getFirst(), more), j.recovered());
      assertEquals(0, j.droppedBytes());
    }
  }

  @Test
  void compactKeepsOnlyWhatTheCheckpointLacks() throws Exception {
    Path f = dir.resolve("journal.log");
    SplittableRandom r = new SplittableRandom(1);
    List<Experience> es = new ArrayList<>();
    try (Journal j = Journal.open(f)) {
      for (int i = 0; i < 10; i++) { es.add(exp(i, r)); j.append(es.getLast()); }
      j.compact(6);
      es.add(exp(10, r));
      j.append(es.getLast());
      j.sync(10);
    }
    try (Journal j = Journal.open(f)) {
      assertSame(es.subList(7, 11), j.recovered());
    }
  }
}
