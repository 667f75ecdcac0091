package dev.edgeppo.telemetry;

import java.util.Comparator;
import java.util.List;

/** Which GPU an {@code /allocate} request lands on (SPEC §4 "gpu": index or uuid, optional). */
public final class GpuChoice {
  private GpuChoice() {}

  /**
   * The GPU named by {@code requested} (an index or a UUID), or, when none is named, the least contended one:
   * fewest compute processes, then least framebuffer occupied, then least busy, then lowest index. Unknown
   * readings count as contended last, so a GPU that reports nothing does not win by silence.
   */
  public static GpuSnapshot choose(List<GpuSnapshot> gpus, String requested) {
    if (gpus == null || gpus.isEmpty()) throw new IllegalArgumentException("no GPU on this node");
    if (requested == null || requested.isBlank()) {
      return gpus.stream().min(Comparator
          .comparingDouble((GpuSnapshot g) -> g.processes() == null ? Double.MAX_VALUE : g.processes())
          .thenComparingDouble(g -> g.memoryOccupancy() == null ? Double.MAX_VALUE : g.memoryOccupancy())
          .thenComparingDouble(g -> g.utilizationGpu() == null ? Double.MAX_VALUE : g.utilizationGpu())
          .thenComparingInt(GpuSnapshot::index)).orElseThrow();
    }
    String want = requested.trim();
    if (want.chars().allMatch(Character::isDigit)) {
      int index;
      try {
        index = Integer.parseInt(want);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("gpu index " + want + " is out of range");
      }
      return gpus.stream().filter(g -> g.index() == index).findFirst().orElseThrow(
          () -> new IllegalArgumentException("no GPU with index " + index + " (this node has " + gpus.size() + ")"));
    }
    return gpus.stream().filter(g -> want.equalsIgnoreCase(g.uuid())).findFirst().orElseThrow(
        () -> new IllegalArgumentException("no GPU with uuid " + want));
  }
}
