package dev.edgeppo.observe;

/**
 * What the observer saw of one pod at one reading of its GPU.
 *
 * @param atMillis   when the reading was taken (the observer's clock)
 * @param smPercent  SM utilization of the pod's processes since the previous reading, summed over them (a
 *                   running process NVML gave no sample for used none)
 * @param memoryMib  GPU memory the pod's processes hold, summed (MiB)
 * @param processes  the pod's processes on the GPU (0: none, before its first or after its last)
 * @param podsOnGpu  distinct pods with a process on that GPU at this reading, this pod included when present
 * @param gpuSmPercent SM utilization of every process on that GPU at this reading, summed (this pod's, its
 *                   neighbours' and processes of no known pod): how busy the whole GPU was; NaN when unknown,
 *                   which turns off SPEC §5 rule 4 (starved by its neighbours) for this reading
 */
public record PodSample(long atMillis, double smPercent, long memoryMib, int processes, int podsOnGpu,
                        double gpuSmPercent) {
  /** A reading without the whole GPU's use (rule 4 then says nothing about it). */
  public PodSample(long atMillis, double smPercent, long memoryMib, int processes, int podsOnGpu) {
    this(atMillis, smPercent, memoryMib, processes, podsOnGpu, Double.NaN);
  }
}
