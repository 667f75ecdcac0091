package dev.edgeppo.observe;

import dev.edgeppo.observe.slo.HttpScraper;
import dev.edgeppo.telemetry.NvmlTelemetry;
import dev.edgeppo.telemetry.Telemetry;
import java.nio.file.Files;
import java.time.InstantSource;

/** Builds the node's pod observer from what the agent opened: NVML and the proc root, or the reason there is none. */
public final class Observers {
  private Observers() {}

  /**
   * An observer reading NVML's per-process data when the agent's telemetry is NVML and the proc root is a
   * directory; otherwise one that skips every pod with the reason ({@link SkipReason#NVML_UNAVAILABLE}).
   *
   * @param telemetryWhy the sentence saying why this telemetry was chosen (it carries NVML's own error text)
   */
  public static PodObserver open(Telemetry telemetry, String telemetryWhy, ObserveSettings s, PodObserver.Sink sink) {
    if (!(telemetry instanceof NvmlTelemetry nvml)) {
      return PodObserver.unavailable("no NVML to read pods' GPU processes with (" + telemetryWhy + ")", sink, s.period(), s.window());
    }
    if (!Files.isDirectory(s.procRoot())) {
      return PodObserver.unavailable("proc root " + s.procRoot() + " is not a directory (--proc-root)", sink, s.period(), s.window());
    }
    return PodObserver.of(new NvmlProcessSource(nvml.nvml(), InstantSource.system(), s.period()), new ProcFs(s.procRoot()), sink,
        s.period(), s.window(), InstantSource.system(), new HttpScraper());
  }
}
