package dev.edgeppo.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The default synthetic mix: Poisson arrivals of 50 % {@link WorkloadClass#INFERENCE}, 25 %
 * {@link WorkloadClass#TRAINING} and 25 % {@link WorkloadClass#BURSTY} pods, at a rate that keeps
 * {@value #DEFAULT_CONCURRENCY} pods on the node on average (before OOMs), so the node is often shared
 * and sometimes saturated.
 */
public final class ArrivalProcess {
  public static final double DEFAULT_CONCURRENCY = 2.0;
  static final double[] MIX = {0.5, 0.25, 0.25};

  private ArrivalProcess() {}

  /** {@code count} pods, a pure function of {@code seed}. */
  public static List<SimPod> synthetic(int count, long seed, double concurrency) {
    if (count < 1) throw new IllegalArgumentException("need at least one pod, got " + count);
    if (!(concurrency > 0)) throw new IllegalArgumentException("concurrency must be > 0, got " + concurrency);
    WorkloadClass[] classes = WorkloadClass.values();
    double meanLife = 0;
    for (int c = 0; c < classes.length; c++) meanLife += MIX[c] * classes[c].meanLifetimeS();
    double meanGap = meanLife / concurrency;
    SplittableRandom r = new SplittableRandom(seed);
    List<SimPod> pods = new ArrayList<>(count);
    double t = 0;
    for (int i = 0; i < count; i++) {
      t += -meanGap * Math.log(1 - r.nextDouble());
      double u = r.nextDouble();
      int c = 0;
      while (c < classes.length - 1 && u >= MIX[c]) u -= MIX[c++];
      pods.add(classes[c].draw(i, Math.round(t), r.split()));
    }
    return pods;
  }
}
