package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
    int rec = Journal.HEADER + Journal.PAYLOAD;
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

  @Test
  void aFlippedBitDropsThatRecordAndWhatFollows() throws Exception {
    Path f = dir.resolve("journal.log");
    List<Experience> es = write(f, 4);
    byte[] b = Files.readAllBytes(f);
    int rec = Journal.HEADER + Journal.PAYLOAD;
    b[2 * rec + Journal.HEADER + 13] ^= 0x10;
    Files.write(f, b);
    try (Journal j = Journal.open(f)) {
      assertSame(es.subList(0, 2), j.recovered());
      assertEquals(2L * rec, j.droppedBytes());
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
