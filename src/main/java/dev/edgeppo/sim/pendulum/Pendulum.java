package dev.edgeppo.sim.pendulum;

import java.util.SplittableRandom;

/**
 * Gymnasium's Pendulum-v1, from its published equations: g 10, m 1, l 1, dt 0.05, speed clipped to ±8,
 * torque to ±2; cost θ² + 0.1 θ̇² + 0.001 u² with θ normalised to [-π, π); the reward is minus the cost
 * of the state before the step. Episodes start at θ ~ U[-π, π], θ̇ ~ U[-1, 1] and are cut after
 * {@value #EPISODE_STEPS} steps (a time limit, not a terminal state).
 */
public final class Pendulum {
  public static final double G = 10.0, M = 1.0, L = 1.0, DT = 0.05, MAX_SPEED = 8.0, MAX_TORQUE = 2.0;
  public static final int EPISODE_STEPS = 200;

  private double theta, thetaDot;
  private int steps;

  /** Starts an episode from a random state. */
  public void reset(SplittableRandom rng) {
    set(-Math.PI + 2 * Math.PI * rng.nextDouble(), -1 + 2 * rng.nextDouble());
  }

  /** Starts from a given state (tests compare against hand-computed steps). */
  public void set(double theta, double thetaDot) {
    this.theta = theta;
    this.thetaDot = thetaDot;
    this.steps = 0;
  }

  /** Applies {@code torque} (clipped to ±2) for one step; returns the reward. */
  public double step(double torque) {
    double u = Math.max(-MAX_TORQUE, Math.min(MAX_TORQUE, torque));
    double th = normalize(theta);
    double cost = th * th + 0.1 * thetaDot * thetaDot + 0.001 * u * u;
    double newDot = thetaDot + (3 * G / (2 * L) * Math.sin(theta) + 3.0 / (M * L * L) * u) * DT;
    newDot = Math.max(-MAX_SPEED, Math.min(MAX_SPEED, newDot));
    theta = theta + newDot * DT;
    thetaDot = newDot;
    steps++;
    return -cost;
  }

  /** The episode has hit its time limit. */
  public boolean truncated() { return steps >= EPISODE_STEPS; }

  public double theta() { return theta; }
  public double thetaDot() { return thetaDot; }

  /** Gymnasium's observation [cos θ, sin θ, θ̇]. */
  public double[] observation() { return new double[] {Math.cos(theta), Math.sin(theta), thetaDot}; }

  /**
   * The observation as the learner's 5 inputs (its STATE_DIM is the agent's): cos θ, sin θ, θ̇ / 8 (so
   * all three lie in [-1, 1]) and two zeros.
   */
  public float[] state() {
    return new float[] {(float) Math.cos(theta), (float) Math.sin(theta), (float) (thetaDot / MAX_SPEED), 0f, 0f};
  }

  /** The learner's first action dimension, a mean in (0, 1), clipped to [0, 1] and mapped onto [-2, 2]; the second is unused. */
  public static double torque(float[] action) {
    double a = Math.max(0, Math.min(1, action[0]));
    return a * 2 * MAX_TORQUE - MAX_TORQUE;
  }

  /** θ to [-π, π), as gymnasium's angle_normalize. */
  public static double normalize(double x) {
    double twoPi = 2 * Math.PI;
    return ((x + Math.PI) % twoPi + twoPi) % twoPi - Math.PI;
  }
}
