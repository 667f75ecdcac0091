package dev.edgeppo.observe;

/**
 * Where the observer reads per-process GPU use: NVML on a node ({@link NvmlProcessSource}), the simulator's
 * pods in {@code simulate}. Called from the observer's one thread.
 */
public interface ProcessSource {
  /**
   * The processes of GPU {@code gpuIndex} now, with SM use since the previous call for that GPU. Throws
   * {@link SignalMissing} when the node cannot give a signal the rules need, any other RuntimeException when the
   * reading failed (it may work next time).
   */
  GpuProcesses read(int gpuIndex);

  /** A signal the rules need is not available here: skip the feedback rather than invent it. */
  final class SignalMissing extends RuntimeException {
    private final SkipReason reason;

    public SignalMissing(SkipReason reason, String message) {
      super(message);
      this.reason = reason;
    }

    public SkipReason reason() { return reason; }
  }
}
