package dev.edgeppo.observe;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The pod observer's configuration (SPEC §3: {@code --proc-root}, {@code --observe-period-seconds},
 * {@code --observe-window-seconds}).
 *
 * @param procRoot where {@code <pid>/cgroup} is read: the host's /proc (the agent runs with hostPID)
 * @param period   how often each observed pod's GPU processes are read
 * @param window   how long a pod is observed from its first GPU process (and how long its first may take)
 */
public record ObserveSettings(Path procRoot, Duration period, Duration window) {
  public static final ObserveSettings DEFAULTS = new ObserveSettings(Path.of("/proc"), Duration.ofSeconds(2), Duration.ofSeconds(60));

  public ObserveSettings {
    Objects.requireNonNull(procRoot, "procRoot");
    if (period.isNegative() || period.isZero()) throw new IllegalArgumentException("observe period must be positive, got " + period);
    if (window.compareTo(period) < 0) throw new IllegalArgumentException("observe window " + window + " is shorter than its period " + period);
  }
}
