package dev.edgeppo.webhook;

import java.util.Map;
import java.util.Optional;

/**
 * What a pinned pod asks for, read from its annotations {@value #CORES} (SM cores %, 1..100) and
 * {@value #MEMORY} (MB, > 0). Annotations rather than an extended resource: a resource named in
 * {@code resources.limits} would have to be advertised by a device plugin or the pod never schedules, and
 * GPU capacity is DRA's to advertise (SPEC §5); an annotation reaches the webhook and nothing else.
 */
public record GpuAsk(int cores, long memoryMb) {
  public static final String PREFIX = "gpu.edgeppo.dev/";
  public static final String CORES = PREFIX + "cores";
  public static final String MEMORY = PREFIX + "memory";

  public GpuAsk {
    if (cores < 1 || cores > 100) throw new IllegalArgumentException(CORES + " must be 1..100, got " + cores);
    if (memoryMb < 1) throw new IllegalArgumentException(MEMORY + " must be > 0 (MB), got " + memoryMb);
  }

  /**
   * The ask in these annotations: empty when neither key is present (the pod asks for no share); an
   * {@link IllegalArgumentException} naming the key when one is missing or not a number in range.
   */
  public static Optional<GpuAsk> from(Map<String, String> annotations) {
    if (annotations == null) return Optional.empty();
    String c = annotations.get(CORES);
    String m = annotations.get(MEMORY);
    if (c == null && m == null) return Optional.empty();
    if (c == null) throw new IllegalArgumentException(CORES + " is missing (" + MEMORY + " is set)");
    if (m == null) throw new IllegalArgumentException(MEMORY + " is missing (" + CORES + " is set)");
    return Optional.of(new GpuAsk(parse(CORES, c), parse(MEMORY, m)));
  }

  private static int parse(String key, String v) {
    try {
      return Integer.parseInt(v.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a whole number, got \"" + v + "\"");
    }
  }
}
