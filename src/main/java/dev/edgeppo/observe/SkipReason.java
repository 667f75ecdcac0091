package dev.edgeppo.observe;

/**
 * Why an allocation that named its pod got no feedback from the observer; each is counted under its label
 * ({@code edgeppo_observer_skipped_total{reason=...}}) and shown in {@code GET /v1/allocations/{id}}.
 */
public enum SkipReason {
  /** The agent has no NVML (no driver, the simulated telemetry): nothing to observe with. */
  NVML_UNAVAILABLE("nvml_unavailable"),
  /** NVML cannot list the GPU's running processes. */
  NO_PROCESS_LIST("no_process_list"),
  /** NVML has no per-process utilization samples (an older driver, an unsupported device). */
  NO_PROCESS_UTILIZATION("no_process_utilization"),
  /** NVML does not tell how much memory one of the pod's processes holds. */
  NO_PROCESS_MEMORY("no_process_memory"),
  /** Reading the GPU failed again and again (NVML's error text in the reason). */
  READ_FAILED("nvml_error"),
  /** The pod never showed a process on its GPU within the window: the allocation expires (SPEC §5). */
  NO_GPU_PROCESS("no_gpu_process"),
  /** The pod ended (its claim was unprepared) before it showed any process on its GPU: nothing to judge. */
  ENDED_BEFORE_PROCESS("ended_before_gpu_process"),
  /** A POST /feedback answered the allocation first; that one counts. */
  ANSWERED_BY_HTTP("http_feedback_first"),
  /** The allocation expired (TTL, table cap) before the observation ended. */
  ALLOCATION_GONE("allocation_gone"),
  /** The feedback path refused the observed feedback (telemetry for the next state failed, say). */
  FEEDBACK_FAILED("feedback_failed");

  private final String label;

  SkipReason(String label) { this.label = label; }

  /** The metric label and the word /v1/allocations shows. */
  public String label() { return label; }
}
