package dev.edgeppo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgeppo.sim.SimPod;
import dev.edgeppo.sim.WorkloadClass;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The admission replay of {@code scheduling-gap}: a one-GPU scheduler that admits what its bookings fit. */
class SchedulingGapCommandTest {
  static SimPod pod(int i, long arrival, long life, int cores, long mem) {
    return new SimPod(i, "p" + i, WorkloadClass.INFERENCE, arrival, life, cores, mem, mem / 2, cores / 2.0, 0, 1, 0, 0, i);
  }

  @Test
  void admitsWhatFitsAndFreesWhatEnds() {
    // Three pods of 50 cores at t = 0, 10, 20 living 100 s: the third does not fit booked at the ask.
    List<SimPod> pods = List.of(pod(0, 0, 100, 50, 1000), pod(1, 10, 100, 50, 1000), pod(2, 20, 100, 50, 1000),
        pod(3, 200, 100, 50, 1000));
    assertEquals(3 / 4.0, SchedulingGapCommand.admitted(pods, 1, p -> new long[] {p.requestCores(), p.requestMemoryMb()}));
    // Booked at 30 cores all fit; memory binds too: 3 × 12000 MiB is over 32768.
    assertEquals(1.0, SchedulingGapCommand.admitted(pods, 1, p -> new long[] {30, p.requestMemoryMb()}));
    assertEquals(3 / 4.0, SchedulingGapCommand.admitted(pods, 1, p -> new long[] {30, 12000}));
    // Arrivals 4x as dense: the fourth pod (t = 50 instead of 200) meets the first two still running.
    assertEquals(2 / 4.0, SchedulingGapCommand.admitted(pods, 4, p -> new long[] {p.requestCores(), p.requestMemoryMb()}));
  }
}
