package dev.edgeppo.sim;

import java.util.SplittableRandom;

/**
 * The kinds of pod the simulated node runs. Each draws what it asks for (as a webhook sees it) and what
 * it really needs (hidden from the agent). Lifetimes are log-normal (σ 1) around the median given.
 *
 * <table>
 * <caption>workload classes</caption>
 * <tr><th>class</th><th>asks cores %</th><th>asks memory MB</th><th>true demand (cores %)</th>
 *     <th>working set</th><th>median life</th></tr>
 * <tr><td>{@link #INFERENCE} latency-sensitive serving</td><td>10..60 (steps of 5)</td><td>1024..3840</td>
 *     <td>steady 25..60 % of the ask, ±10 % jitter</td><td>50..90 % of the ask</td><td>15 min</td></tr>
 * <tr><td>{@link #TRAINING} batch training</td><td>30..80</td><td>8192..16384</td>
 *     <td>85..100 % of the ask: it uses all it gets, ±3 % jitter</td><td>70..95 % of the ask</td><td>30 min</td></tr>
 * <tr><td>{@link #BURSTY} bursty jobs</td><td>20..80</td><td>4096..7936</td>
 *     <td>10..30 % of the ask, with bursts to 80..100 % for 20..40 % of a 20..60 s period</td>
 *     <td>50..90 % of the ask</td><td>10 min</td></tr>
 * </table>
 *
 * <p>Inference is why granting less than asked pays: it asks for far more than it uses, as serving pods
 * sized for their peak do. Training and bursts are why it does not always pay: cut them and they miss
 * their QoS. The classes overlap in the cores they ask for but not in memory (serving models are small,
 * training holds large batches): what a pod asks for tells its class, as the shapes of one site's pods
 * do, while how much of its ask it uses stays hidden. The trace replay has no such signal (its memory ask
 * follows its cores ask).
 */
public enum WorkloadClass {
  INFERENCE(10, 60, 1024, 3840, 0.50, 0.90, 900),
  TRAINING(30, 80, 8192, 16384, 0.70, 0.95, 1800),
  BURSTY(20, 80, 4096, 7936, 0.50, 0.90, 600);

  private final int minCores, maxCores;
  private final long minMemoryMb, maxMemoryMb;
  private final double minWorkingSet, maxWorkingSet;
  private final double medianLifetimeS;

  WorkloadClass(int minCores, int maxCores, long minMemoryMb, long maxMemoryMb, double minWorkingSet,
                double maxWorkingSet, double medianLifetimeS) {
    this.minCores = minCores;
    this.maxCores = maxCores;
    this.minMemoryMb = minMemoryMb;
    this.maxMemoryMb = maxMemoryMb;
    this.minWorkingSet = minWorkingSet;
    this.maxWorkingSet = maxWorkingSet;
    this.medianLifetimeS = medianLifetimeS;
  }

  /** Mean of the log-normal lifetime (median · e^{σ²/2}, σ = 1), for sizing arrival rates. */
  public double meanLifetimeS() { return medianLifetimeS * Math.exp(0.5); }

  /** A pod of this class asking what this class asks. */
  public SimPod draw(int index, long arrivalS, SplittableRandom r) {
    int cores = 5 * (minCores / 5 + r.nextInt((maxCores - minCores) / 5 + 1));
    long memory = 256 * (minMemoryMb / 256 + r.nextLong((maxMemoryMb - minMemoryMb) / 256 + 1));
    long lifetime = Math.max(1, Math.round(medianLifetimeS * Math.exp(r.nextGaussian())));
    return withRequest(index, "sim-" + index, arrivalS, lifetime, cores, memory, r);
  }

  /** A pod of this class for a request given from outside (a trace row); only the hidden part is drawn. */
  public SimPod withRequest(int index, String name, long arrivalS, long lifetimeS, int cores, long memoryMb, SplittableRandom r) {
    long workingSet = Math.max(1, Math.round(memoryMb * uniform(r, minWorkingSet, maxWorkingSet)));
    double base, high = 0, period = 0, duty = 0, phase = 0;
    switch (this) {
      case INFERENCE -> base = cores * uniform(r, 0.25, 0.60);
      case TRAINING -> base = cores * uniform(r, 0.85, 1.00);
      case BURSTY -> {
        base = cores * uniform(r, 0.10, 0.30);
        high = cores * uniform(r, 0.80, 1.00);
        period = uniform(r, 20, 60);
        duty = uniform(r, 0.20, 0.40);
        phase = uniform(r, 0, period);
      }
      default -> throw new AssertionError(this);
    }
    return new SimPod(index, name, this, arrivalS, Math.max(1, lifetimeS), cores, memoryMb, workingSet, base, high,
        period, duty, phase, r.nextLong());
  }

  /** How much the demand jitters around its level, as a fraction of it. */
  double jitter() {
    return switch (this) {
      case INFERENCE -> 0.10;
      case TRAINING -> 0.03;
      case BURSTY -> 0.05;
    };
  }

  private static double uniform(SplittableRandom r, double lo, double hi) {
    return lo + (hi - lo) * r.nextDouble();
  }
}
