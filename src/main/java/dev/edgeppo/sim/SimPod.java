package dev.edgeppo.sim;

import dev.edgeppo.random.Noise;

/**
 * One pod: what it asks for (all the agent sees) and what it really needs (hidden). Demand is a pure
 * function of time and the pod's own noise seed, so every policy meets exactly the same pod.
 *
 * @param requestCores    SM cores % asked for, 1..100
 * @param requestMemoryMb GPU memory asked for
 * @param workingSetMb    memory the pod touches; a grant below it is an OOM
 * @param baseDemand      cores % it would use at its usual level
 * @param burstDemand     cores % during a burst (bursty class only, else 0)
 */
public record SimPod(int index, String name, WorkloadClass workload, long arrivalS, long lifetimeS, int requestCores,
                     long requestMemoryMb, long workingSetMb, double baseDemand, double burstDemand, double burstPeriodS,
                     double burstDuty, double burstPhaseS, long noiseSeed) {

  /** Cores % the pod would use at time {@code t} (seconds) if nothing held it back; never above 100. */
  public double demand(long t) {
    double level = baseDemand;
    if (burstDemand > 0 && ((t + burstPhaseS) % burstPeriodS) < burstDuty * burstPeriodS) level = burstDemand;
    return Math.min(100, Math.max(0, level * (1 + workload.jitter() * Noise.symmetric(noiseSeed, t, 1))));
  }

  /** A copy that arrives at another time, for replaying a trace more than once. */
  public SimPod shifted(int newIndex, long newArrivalS, long newNoiseSeed) {
    return new SimPod(newIndex, name, workload, newArrivalS, lifetimeS, requestCores, requestMemoryMb, workingSetMb,
        baseDemand, burstDemand, burstPeriodS, burstDuty, burstPhaseS, newNoiseSeed);
  }
}
