package dev.edgeppo.agent;

import dev.edgeppo.telemetry.GpuSnapshot;
import dev.edgeppo.telemetry.Telemetry;
import dev.edgeppo.telemetry.TelemetryException;
import java.util.List;
import java.util.Map;

/** Telemetry whose readings a test sets; can be told to fail. */
public final class FixedTelemetry implements Telemetry {
  public volatile List<GpuSnapshot> gpus;
  public volatile boolean failing;
  /** What {@link #readsWithoutWaiting} says (the sampler's answer is true). */
  public volatile boolean neverWaits;
  /** The thread of the last {@link #read}: where a request was routed. */
  public volatile Thread lastReader;

  public FixedTelemetry(GpuSnapshot... gpus) { this.gpus = List.of(gpus); }

  public static GpuSnapshot gpu(int index, double util, long total, long used, int processes) {
    return new GpuSnapshot(index, "GPU-test-" + index, "test", util, null, total, used, processes, null, null, Map.of());
  }

  /** The seed's node: 45 % busy, 30 % of 10000 MiB used, 2 pods. */
  public static FixedTelemetry seedNode() { return new FixedTelemetry(gpu(0, 45, 10000, 3000, 2)); }

  @Override public String name() { return "fixed"; }

  @Override public boolean readsWithoutWaiting() { return neverWaits; }

  @Override
  public List<GpuSnapshot> read() {
    lastReader = Thread.currentThread();
    if (failing) throw new TelemetryException("test telemetry is failing");
    return gpus;
  }
}
