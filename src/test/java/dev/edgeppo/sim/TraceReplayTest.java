package dev.edgeppo.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The openb reader on the shipped excerpt and on broken files. */
class TraceReplayTest {
  static final String HEADER = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time";

  /** The excerpt's lines, read plainly (the reference the reader is held to). */
  static List<String[]> excerptLines() throws IOException {
    try (InputStream in = TraceReplay.class.getResourceAsStream(TraceReplay.EXCERPT_RESOURCE)) {
      List<String[]> out = new ArrayList<>();
      String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
      assertEquals(HEADER, lines[0]);
      for (int i = 1; i < lines.length; i++) out.add(lines[i].split(",", -1));
      return out;
    }
  }

  @Test
  void readsTheExcerptAndReplaysOnlyScheduledSingleGpuPods() throws IOException {
    List<String[]> lines = excerptLines();
    TraceReplay t = TraceReplay.excerpt();
    assertEquals(300, lines.size());
    assertEquals(lines.size(), t.rows().size());
    long expected = lines.stream().filter(f -> f[3].equals("1") && !f[4].equals("0") && !f[10].isEmpty()).count();
    assertEquals(expected, t.replayed().size());
    assertTrue(expected < 300 && expected > 200, "the excerpt holds CPU-only, multi-GPU and unscheduled pods too: " + expected);
  }

  @Test
  void mapsEachRowOntoAPod() throws IOException {
    List<String[]> replayed = excerptLines().stream().filter(f -> f[3].equals("1") && !f[4].equals("0") && !f[10].isEmpty()).toList();
    TraceReplay t = TraceReplay.excerpt();
    List<SimPod> pods = t.pods(replayed.size() * 2 + 5, 7, 2.0);
    for (int i = 0; i < pods.size(); i++) {
      String[] f = replayed.get(i % replayed.size());
      SimPod p = pods.get(i);
      int milli = Integer.parseInt(f[4]);
      assertEquals(f[0], p.name());
      assertEquals(Math.round(milli / 10.0), p.requestCores());
      assertEquals(Math.round(milli / 1000.0 * 16384), p.requestMemoryMb());
      long life = Long.parseLong(f[9]) - Long.parseLong(f[8]);
      assertEquals(Math.max(1, Math.min(4 * 3600, life)), p.lifetimeS());
      WorkloadClass c = switch (f[6]) {
        case "LS" -> WorkloadClass.INFERENCE;
        case "Burstable" -> WorkloadClass.BURSTY;
        default -> WorkloadClass.TRAINING;
      };
      assertEquals(c, p.workload(), f[0]);
      if (i > 0) assertTrue(p.arrivalS() >= pods.get(i - 1).arrivalS(), "arrivals stay in order, also across replays");
    }
    // Within one replay, gaps keep the trace's proportions, quiet spells over an hour counting as an hour.
    long[] capped = new long[replayed.size()];
    for (int i = 1; i < capped.length; i++)
      capped[i] = capped[i - 1] + Math.min(3600, Long.parseLong(replayed.get(i)[8]) - Long.parseLong(replayed.get(i - 1)[8]));
    double scale = (pods.get(replayed.size() - 1).arrivalS() - pods.getFirst().arrivalS()) / (double) capped[capped.length - 1];
    for (int i = 1; i < replayed.size(); i++)
      assertEquals(capped[i] * scale, pods.get(i).arrivalS() - pods.getFirst().arrivalS(), 0.5 + 1e-9, "row " + i);
  }

  @Test
  void replaysRowsInCreationOrderWhateverTheFileOrder() throws IOException {
    String body = "late,1,1,1,500,,LS,Running,300,400,300\nearly,1,1,1,200,,BE,Running,100,150,100\nmid,1,1,1,300,,BE,Running,200,900,200\n";
    TraceReplay t = TraceReplay.read(new ByteArrayInputStream((HEADER + "\n" + body).getBytes(StandardCharsets.UTF_8)), "u.csv");
    List<SimPod> pods = t.pods(6, 1, 2.0);
    assertEquals(List.of("early", "mid", "late", "early", "mid", "late"), pods.stream().map(SimPod::name).toList());
    for (int i = 1; i < pods.size(); i++) assertTrue(pods.get(i).arrivalS() >= pods.get(i - 1).arrivalS());
    assertEquals(20, pods.get(0).requestCores());
    assertEquals(50, pods.get(0).lifetimeS());
  }

  static IllegalArgumentException broken(String body) {
    return assertThrows(IllegalArgumentException.class,
        () -> TraceReplay.read(new ByteArrayInputStream((HEADER + "\n" + body).getBytes(StandardCharsets.UTF_8)), "t.csv"));
  }

  @Test
  void namesTheLineAndFieldOfAMalformedRow() {
    String ok = "p0,1000,1024,1,500,,LS,Running,10,20,10\n";
    assertTrue(broken(ok + "p1,1000,1024,1,500,,LS,Running,10,20\n").getMessage().contains("t.csv line 3: 10 fields, the header has 11"));
    assertTrue(broken(ok + "p1,1000,1024,1,half,,LS,Running,10,20,10\n").getMessage().contains("line 3: gpu_milli must be a whole number, got 'half'"));
    assertTrue(broken("p1,1000,1024,1,1500,,LS,Running,10,20,10\n").getMessage().contains("line 2: gpu_milli must be in 0..1000, got 1500"));
    assertTrue(broken("p1,1000,1024,1,500,,Gold,Running,10,20,10\n").getMessage().contains("line 2: qos must be LS, BE, Burstable or Guaranteed, got 'Gold'"));
    assertTrue(broken("p1,1000,1024,1,500,,BE,Running,30,20,30\n").getMessage().contains("line 2: deletion_time 20 is before creation_time 30"));
    assertTrue(broken("p1,1000,1024,1,500,,BE,Running,-5,20,30\n").getMessage().contains("creation_time must be in 0.."));
  }

  @Test
  void refusesAFileWithoutTheColumnsOrWithoutAnythingToReplay() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> TraceReplay.read(new ByteArrayInputStream("name,gpu\np,1\n".getBytes(StandardCharsets.UTF_8)), "x.csv"));
    assertTrue(e.getMessage().contains("x.csv: header lacks column 'num_gpu'"), e.getMessage());
    assertTrue(broken("p1,1000,1024,0,0,,BE,Running,10,20,10\np2,1000,1024,8,1000,,BE,Running,10,20,\n").getMessage()
        .contains("no row with num_gpu 1"));
    assertThrows(IllegalArgumentException.class, () -> TraceReplay.read(new ByteArrayInputStream(new byte[0]), "empty.csv"));
  }
}
