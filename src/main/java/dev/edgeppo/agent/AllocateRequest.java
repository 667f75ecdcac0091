package dev.edgeppo.agent;

/**
 * What an admission webhook asks for (SPEC §4 /allocate).
 *
 * @param cores    requested SM cores in percent, 1..100
 * @param memoryMb requested GPU memory in MB, > 0
 * @param pod      "namespace/name" for logs, may be null
 * @param gpu      GPU index or UUID, null to let the agent choose (most free memory)
 */
public record AllocateRequest(int cores, long memoryMb, String pod, String gpu) {
  public static final int MAX_POD_NAME = 512;

  /** Throws {@link BadInputException} naming the first field out of range. */
  public void validate() {
    if (cores < 1 || cores > 100) throw new BadInputException("cores must be in 1..100, got " + cores);
    if (memoryMb <= 0) throw new BadInputException("memory must be > 0 MB, got " + memoryMb);
    if (pod != null && pod.length() > MAX_POD_NAME) throw new BadInputException("pod must be at most " + MAX_POD_NAME + " characters");
    if (gpu != null && gpu.isBlank()) throw new BadInputException("gpu must be an index or a UUID, got an empty string");
  }
}
