package dev.edgeppo.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** SPEC §1's bounds for every mapping, and the relative mapping's own formula. */
class ActionMappingTest {
  @Test
  void relativeGrantsAShareOfTheAsk() {
    // a / 0.5 of the ask: 0.6 of 80 % and 0.5 of 4000 MB
    assertEquals(new ActionMapping.Grant(48, 2000), ActionMapping.RELATIVE.grant(new float[] {0.3f, 0.25f}, 80, 4000, 32768));
    assertEquals(new ActionMapping.Grant(80, 4000), ActionMapping.RELATIVE.grant(new float[] {0.5f, 0.5f}, 80, 4000, 32768), "a = 0.5 is the ask");
    assertEquals(new ActionMapping.Grant(80, 4000), ActionMapping.RELATIVE.grant(new float[] {1.7f, 3f}, 80, 4000, 32768), "clipped");
    assertEquals(new ActionMapping.Grant(10, 512), ActionMapping.RELATIVE.grant(new float[] {0.01f, 0.01f}, 80, 4000, 32768), "floors");
    assertEquals(new ActionMapping.Grant(6, 300), ActionMapping.RELATIVE.grant(new float[] {0f, 0f}, 6, 300, 32768),
        "an ask under the floors is granted whole");
    assertEquals(new ActionMapping.Grant(10, 512), ActionMapping.RELATIVE.grant(new float[] {Float.NaN, Float.NaN}, 80, 4000, 32768));
  }

  /** Whatever the mapping and the action: never above the ask, at least min(10, ask) cores and min(512, ask) MB. */
  @Test
  void everyMappingKeepsSpecsBounds() {
    SplittableRandom r = new SplittableRandom(7);
    for (ActionMapping m : ActionMapping.values())
      for (int i = 0; i < 20_000; i++) {
        int cores = 1 + r.nextInt(100);
        long mem = 1 + r.nextLong(40_000);
        float[] a = {(float) (r.nextDouble() * 3 - 1), (float) (r.nextDouble() * 3 - 1)};
        ActionMapping.Grant g = m.grant(a, cores, mem, 32768);
        assertTrue(g.cores() <= cores && g.cores() >= Math.min(ActionMapping.MIN_CORES, cores), m + " " + g + " for " + cores);
        assertTrue(g.memoryMb() <= mem && g.memoryMb() >= Math.min(ActionMapping.MIN_MEMORY_MB, mem), m + " " + g + " for " + mem);
      }
  }

  @Test
  void namesAreTheJsonOnes() {
    assertEquals(ActionMapping.RELATIVE, ActionMapping.of("relative"));
    assertEquals(ActionMapping.SEED, ActionMapping.of("seed"));
    assertThrows(IllegalArgumentException.class, () -> ActionMapping.of("absolute"));
  }
}
