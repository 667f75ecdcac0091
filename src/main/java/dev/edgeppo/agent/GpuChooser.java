package dev.edgeppo.agent;

import dev.edgeppo.telemetry.GpuSnapshot;
import java.util.List;
import java.util.stream.Collectors;

/** The GPU an allocation goes to: the one the request names (index or UUID), else the one with the most free memory. */
public final class GpuChooser {
  private GpuChooser() {}

  public static GpuSnapshot choose(List<GpuSnapshot> gpus, String wanted) {
    if (gpus.isEmpty()) throw new IllegalStateException("telemetry reports no GPU");
    if (wanted != null) {
      for (GpuSnapshot g : gpus)
        if (wanted.equals(g.uuid()) || wanted.equals(Integer.toString(g.index()))) return g;
      throw new BadInputException("no GPU '" + wanted + "' on this node; it has "
          + gpus.stream().map(g -> g.index() + " (" + g.uuid() + ")").collect(Collectors.joining(", ")));
    }
    GpuSnapshot best = gpus.getFirst();
    for (GpuSnapshot g : gpus) if (free(g) > free(best)) best = g; // ties keep the lowest index
    return best;
  }

  private static long free(GpuSnapshot g) {
    Long f = g.memoryFreeMib();
    return f == null ? -1 : f;
  }
}
