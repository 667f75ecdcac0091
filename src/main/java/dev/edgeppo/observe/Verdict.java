package dev.edgeppo.observe;

import dev.edgeppo.observe.slo.SloVerdict;
import java.util.List;

/**
 * The feedback the agent writes for an observed allocation (SPEC §5), with what it was computed from and
 * why, so an operator can see from {@code GET /v1/allocations/{id}} why the agent thought a pod was throttled.
 *
 * @param samples          readings since the pod's first process appeared
 * @param throttledSamples of them, those with summed SM at or above the grant minus one
 * @param peakMemoryMib    the most GPU memory the pod held at one reading
 * @param why              one sentence per verdict: usage, each QoS rule, pods, done
 * @param slo              what the pod's own metrics said (SPEC §5 rule 1), null when it declares no objective
 */
public record Verdict(double actualUsage, boolean qosMet, int pods, boolean done, int samples, int throttledSamples,
                      long peakMemoryMib, Ending ending, List<String> why, SloVerdict slo) {
  public Verdict {
    why = List.copyOf(why);
  }

  /** A verdict from NVML alone: the pod declared no service level. */
  public Verdict(double actualUsage, boolean qosMet, int pods, boolean done, int samples, int throttledSamples,
                 long peakMemoryMib, Ending ending, List<String> why) {
    this(actualUsage, qosMet, pods, done, samples, throttledSamples, peakMemoryMib, ending, why, null);
  }
}
