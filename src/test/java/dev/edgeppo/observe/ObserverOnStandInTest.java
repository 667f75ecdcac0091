package dev.edgeppo.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.nvml.Nvml;
import dev.edgeppo.nvml.StandIn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The observer end to end below the agent: real child processes, a proc root laid out with their kubepods
 * cgroup files, the stand-in NVML reporting those PIDs, and the observer ticked by hand.
 */
class ObserverOnStandInTest {
  static final String POD = "0a1b2c3d-4e5f-4061-8728-394a5b6c7d8e";
  static final long MIB = 1L << 20;

  @TempDir Path proc;

  static final class Sink implements PodObserver.Sink {
    final Map<String, Verdict> reported = new ConcurrentHashMap<>();
    final Map<String, String> expired = new ConcurrentHashMap<>();
    @Override public State state(String id) { return reported.containsKey(id) || expired.containsKey(id) ? State.GONE : State.PENDING; }
    @Override public Outcome report(String id, Verdict v) { reported.put(id, v); return Outcome.RECORDED; }
    @Override public void expire(String id, String why) { expired.put(id, why); }
    @Override public void notObserved(String id, SkipReason r, String why) { expired.put(id, r.label() + ": " + why); }
  }

  /** An observer on the stand-in NVML and the laid-out proc root, watching allocation "a" of {@link #POD}. */
  PodObserver observingA(Nvml nvml, Sink sink) {
    PodObserver obs = PodObserver.of(new NvmlProcessSource(nvml, InstantSource.system(), Duration.ofSeconds(1)),
        new ProcFs(proc), sink, Duration.ofMillis(1), Duration.ofSeconds(30), InstantSource.system());
    obs.observe(new PodObserver.Target("a", POD, 0, 60, 4000, 80));
    return obs;
  }

  @ParameterizedTest
  @EnumSource(PodProcesses.Form.class)
  void eachCgroupFormAttributesTheProcessToItsPod(PodProcesses.Form form) throws Exception {
    try (PodProcesses pods = new PodProcesses(proc)) {
      Process gpuProc = pods.start(POD, form);
      Process pause = pods.start(POD, form); // the sandbox: in the pod, never on the GPU
      Process host = pods.startOutsidePods();
      Path script = StandIn.script("gpu\nprocess %d %d\nprocess %d %d\nprocutil %d 42 0 0 0 now\nprocutil %d 9 0 0 0 now\n"
          .formatted(gpuProc.pid(), 700 * MIB, host.pid(), 100 * MIB, gpuProc.pid(), host.pid()));
      try (Nvml nvml = Nvml.open(StandIn.LIBRARY.toString())) {
        Sink sink = new Sink();
        PodObserver obs = observingA(nvml, sink);
        obs.tick();
        obs.tick();
        assertEquals(2, obs.progress("a").samples(), "found the pod's process through " + form);
        // The pod's GPU process exits; its sandbox still runs: vanished before the pod ended.
        pods.kill(gpuProc);
        Files.writeString(script, "gpu\nprocess %d %d\nprocutil %d 9 0 0 0 now\n".formatted(host.pid(), 100 * MIB, host.pid()));
        StandIn.reload();
        obs.tick();
        Verdict v = sink.reported.get("a");
        assertNotNull(v, sink.expired.toString());
        assertEquals(42.0, v.actualUsage(), 1e-12);
        assertEquals(700, v.peakMemoryMib());
        assertEquals(1, v.pods(), "the host process is in no pod");
        assertEquals(Ending.PROCESSES_VANISHED, v.ending());
        assertFalse(v.qosMet());
        assertTrue(pause.isAlive());
      }
    }
  }

  @Test
  void aPodEndingWithItsProcessesIsDone() throws Exception {
    try (PodProcesses pods = new PodProcesses(proc)) {
      Process p = pods.start(POD, PodProcesses.Form.V2_SYSTEMD);
      Path script = StandIn.script("gpu\nprocess %d %d\nprocutil %d 20 0 0 0 now\n".formatted(p.pid(), 100 * MIB, p.pid()));
      try (Nvml nvml = Nvml.open(StandIn.LIBRARY.toString())) {
        Sink sink = new Sink();
        PodObserver obs = observingA(nvml, sink);
        obs.tick();
        pods.kill(p);
        Files.writeString(script, "gpu\n");
        StandIn.reload();
        obs.tick();
        Verdict v = sink.reported.get("a");
        assertEquals(Ending.POD_ENDED, v.ending());
        assertTrue(v.done());
        assertTrue(v.qosMet());
      }
    }
  }
}
