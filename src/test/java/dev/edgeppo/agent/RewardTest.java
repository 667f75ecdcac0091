package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RewardTest {
  @Test
  void seedExample() {
    // granted 60 %, used 55 %, QoS met, 3 pods: 0.5 * 55/60 + 1 = 1.4583 (fair share 50, 60 <= 75).
    assertEquals(1.4583, Reward.of(60, 55, true, 3), 5e-5);
  }

  @Test
  void penalties() {
    assertEquals(0.5 + 1.0 - 0.3, Reward.of(80, 100, true, 3), 1e-12); // 80 > 1.5 * 50
    assertEquals(0.5 * 1.0 - 0.5 - 0.2, Reward.of(5, 7, false, 1), 1e-12); // under 10 %, usage above grant caps at 1
    assertEquals(0.5 * 0.5 + 1.0, Reward.of(100, 50, true, 1), 1e-12); // alone: fair share 100, no penalty
  }

  @Test
  void fairShareCountsTheOtherPods() {
    // 4 pods: fair share 100/3, 1.5 of it = 50: 51 is over, 50 is not.
    assertEquals(1.0 - 0.3, Reward.of(51, 0, true, 4), 1e-12);
    assertEquals(1.0, Reward.of(50, 0, true, 4), 1e-12);
  }

  @Test
  void rejectsZeroGrant() {
    assertThrows(IllegalArgumentException.class, () -> Reward.of(0, 0, true, 1));
  }
}
