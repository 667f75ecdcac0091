package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.storage.StateFs;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet merge moves the parameters through {@link AgentCore#shiftPolicy}: the serving policy is the moved one
 * at once, the checkpoint holds it (nothing learned from the fleet is lost to a restart), log_std stays within
 * SPEC §2's bounds, and a move that would not be finite changes nothing.
 */
class FleetShiftTest {
  @TempDir Path dir;

  Agent open() throws Exception {
    Agent a = Agent.open(dir, StateFs.real(), DurabilityFaultTest.HP, new CpuBackend(), FixedTelemetry.seedNode(),
        AgentOptions.defaults().with(b -> b.trainInline(false).seed(3)));
    a.replay();
    return a;
  }

  @Test
  void aShiftServesAtOnceAndSurvivesARestart() throws Exception {
    float[] want;
    try (Agent a = open()) {
      AgentCore c = a.core();
      ShutdownTest.feed(c, 4); // one batch: an update, so the checkpoint has a seq to stand on
      c.awaitIdle(10_000);
      assertEquals(1, c.updates());
      float[] before = c.learner().snapshot().params().data().clone();
      float[] delta = new float[before.length];
      for (int i = 0; i < delta.length; i++) delta[i] = 0.001f * (i % 7 - 3);
      int ls = c.learner().snapshot().params().layout().logStd.offset();
      delta[ls] = 50; // far above log_std's ceiling of 0
      c.shiftPolicy(delta, Duration.ofSeconds(10));
      want = new float[before.length];
      for (int i = 0; i < want.length; i++) want[i] = before[i] + delta[i];
      want[ls] = 0;
      assertArrayEquals(want, c.learner().snapshot().params().data(), 0f);
      assertArrayEquals(want, c.learner().policy().params().data(), 0f, "the serving policy is the shifted one");
      assertEquals(1, c.updates(), "a merge is not an update");
      float[] nan = new float[before.length];
      nan[0] = Float.NaN;
      assertThrows(IllegalArgumentException.class, () -> c.shiftPolicy(nan, Duration.ofSeconds(10)));
      assertArrayEquals(want, c.learner().snapshot().params().data(), 0f, "a refused shift changed nothing");
    }
    try (Agent again = open()) {
      assertArrayEquals(want, again.core().learner().snapshot().params().data(), 0f, "the checkpoint holds the merge");
    }
  }
}
