package dev.edgeppo.telemetry;

import java.util.List;

/**
 * Where the agent reads its GPUs: NVML through FFM on a real node, a simulated node otherwise.
 * Implementations are thread-safe; {@link #read()} is cheap enough to call on every request.
 */
public interface Telemetry extends AutoCloseable {
  /** nvml or sim, as the command line names it. */
  String name();

  /** One snapshot per GPU, in index order. Throws {@link TelemetryException} when the source fails. */
  List<GpuSnapshot> read();

  /**
   * True when {@link #read()} never waits (no driver call, no lock held across one): the HTTP server may then
   * answer /allocate on its event loop instead of handing it to a thread that may block.
   */
  default boolean readsWithoutWaiting() { return false; }

  /** Driver version or a description of the source, for logs and /v1/policy. */
  default String describe() { return name(); }

  @Override
  default void close() {}
}
