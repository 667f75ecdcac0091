package dev.edgeppo.nvml;

import static dev.edgeppo.nvml.gen.nvml_h.C_INT;
import static dev.edgeppo.nvml.gen.nvml_h.NVML_ERROR_INSUFFICIENT_SIZE;
import static dev.edgeppo.nvml.gen.nvml_h.NVML_SUCCESS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** NVML's two-call protocol for lists: ask the count, allocate, fetch; again if the list grew meanwhile. */
final class SizedList {
  /** How often the fetch is repeated when entries keep appearing between the size query and the fetch. */
  static final int ATTEMPTS = 5;
  /** Extra room per fetch, so a process starting meanwhile does not force another round trip. */
  private static final int SLACK = 4;

  private SizedList() {}

  /** One NVML list call: {@code count} in/out (room, then entries), {@code buffer} NULL to ask the count. */
  interface Call {
    int invoke(MemorySegment count, MemorySegment buffer);
  }

  /** The entries, each copied out of {@code arena} by {@code copy}; throws {@link NvmlException} on failure. */
  static <T> List<T> fetch(Arena arena, String function, MemoryLayout element, Call call,
                           Function<MemorySegment, T> copy) {
    MemorySegment count = arena.allocate(C_INT);
    count.set(C_INT, 0, 0);
    int rc = call.invoke(count, MemorySegment.NULL);
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      // Success without a buffer can only mean an empty list.
      if (rc == NVML_SUCCESS()) return List.of();
      if (rc != NVML_ERROR_INSUFFICIENT_SIZE()) Nvml.check(function, rc);
      int room = count.get(C_INT, 0) + SLACK;
      MemorySegment buf = arena.allocate(element, room);
      count.set(C_INT, 0, room);
      rc = call.invoke(count, buf);
      if (rc == NVML_SUCCESS()) {
        int n = count.get(C_INT, 0);
        if (n < 0 || n > room) {
          throw new NvmlException(function, NvmlReturn.UNKNOWN.code(),
              "Unknown Error: " + function + " reported " + n + " entries for room of " + room);
        }
        List<T> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(copy.apply(buf.asSlice(i * element.byteSize(), element.byteSize())));
        return List.copyOf(out);
      }
    }
    Nvml.check(function, rc);
    throw new AssertionError("unreachable: check throws on " + rc);
  }
}
