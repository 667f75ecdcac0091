package dev.edgeppo.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.sim.pendulum.Pendulum;
import org.junit.jupiter.api.Test;

/**
 * Pendulum-v1 against steps worked from gymnasium's published equations:
 * cost = norm(θ)² + 0.1 θ̇² + 0.001 u², θ̇' = clip(θ̇ + (3g/2l · sin θ + 3/(ml²) · u) · dt, ±8), θ' = θ + θ̇' dt.
 */
class PendulumTest {
  static void assertStep(Pendulum p, double torque, double theta, double thetaDot, double reward) {
    double r = p.step(torque);
    assertEquals(reward, r, 1e-12, "reward");
    assertEquals(theta, p.theta(), 1e-12, "theta");
    assertEquals(thetaDot, p.thetaDot(), 1e-12, "theta dot");
  }

  @Test
  void followsTheEquationsFromRest() {
    Pendulum p = new Pendulum();
    p.set(Math.PI / 4, 0.5);
    // cost = (π/4)² + 0.1·0.25 + 0.001·1 = 0.616850275 + 0.025 + 0.001
    // θ̇' = 0.5 + (15·sin(π/4) + 3)·0.05 = 0.5 + (10.60660172 + 3)·0.05 = 1.180330086
    assertStep(p, 1.0, 0.844414667691944, 1.18033008588991, -0.642850275068085);
    assertStep(p, 1.0, 0.938965515012728, 1.89101694641568, -0.853354042178984);
    assertStep(p, 1.0, 1.07127689514158, 2.64622760257709, -1.24025074754625);
  }

  @Test
  void clipsTorqueAndSpeed() {
    Pendulum p = new Pendulum();
    p.set(3.0, -7.9);
    // u = clip(-5) = -2: cost = 9 + 6.241 + 0.004; θ̇' = -7.9 + (15 sin 3 - 6)·0.05 = -8.094 → -8
    assertStep(p, -5.0, 2.6, -8.0, -15.245);
    assertStep(p, -5.0, 2.2043313014433, -7.9133739711339, -13.164);
    assertStep(p, -5.0, 1.82388534734774, -7.60891908191124, -11.1252252472247);
  }

  @Test
  void normalisesTheAngleInTheCost() {
    Pendulum p = new Pendulum();
    p.set(-2.5, 7.5);
    assertStep(p, 2.0, -2.1324427054039, 7.35114589192203, -11.879);
    Pendulum q = new Pendulum();
    q.set(-2.5 + 2 * Math.PI, 7.5);
    assertEquals(-11.879, q.step(2.0), 1e-9, "θ and θ + 2π cost the same");
  }

  @Test
  void mapsTheLearnersActionOntoTheTorqueRange() {
    assertEquals(-2.0, Pendulum.torque(new float[] {0f, 0.9f}));
    assertEquals(0.0, Pendulum.torque(new float[] {0.5f, 0.1f}));
    assertEquals(2.0, Pendulum.torque(new float[] {1.7f, 0f}));
    assertEquals(-2.0, Pendulum.torque(new float[] {-0.3f, 0f}));
  }

  @Test
  void episodesAreCutAfter200Steps() {
    Pendulum p = new Pendulum();
    p.reset(new java.util.SplittableRandom(1));
    assertTrue(Math.abs(p.theta()) <= Math.PI && Math.abs(p.thetaDot()) <= 1);
    for (int i = 0; i < 199; i++) p.step(0);
    assertFalse(p.truncated());
    p.step(0);
    assertTrue(p.truncated());
    float[] s = p.state();
    assertEquals(5, s.length);
    assertEquals(Math.cos(p.theta()), s[0], 1e-6);
    assertEquals(Math.sin(p.theta()), s[1], 1e-6);
    assertEquals(p.thetaDot() / 8, s[2], 1e-6);
  }
}
