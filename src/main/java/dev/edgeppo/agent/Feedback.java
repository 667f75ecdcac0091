package dev.edgeppo.agent;

/**
 * How a pod did with what it was granted (SPEC §4 /feedback).
 *
 * @param actualUsage SM cores the pod actually used, percent 0..100
 * @param pods        pods on the GPU as reported, this pod included, >= 1
 * @param done        the pod has finished for good (terminal experience)
 */
public record Feedback(String allocationId, double actualUsage, boolean qosMet, int pods, boolean done) {
  public void validate() {
    if (allocationId == null || allocationId.isEmpty()) throw new BadInputException("allocation_id is missing");
    if (allocationId.length() > 128) throw new BadInputException("allocation_id is too long");
    if (!Double.isFinite(actualUsage) || actualUsage < 0 || actualUsage > 100)
      throw new BadInputException("actual_usage must be a number in 0..100, got " + actualUsage);
    if (pods < 1) throw new BadInputException("pods must be >= 1, got " + pods);
  }
}
