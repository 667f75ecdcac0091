package dev.edgeppo.nvml;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Debian's real libnvidia-ml.so.1 as the reference the stand-in imitates. Only nvmlErrorString is called in
 * this JVM (it needs no driver); init against the real library runs in its own JVM (GpuDiagCommandTest).
 */
class RealNvmlTest {
  @Test
  void errorTextsAreTheRealLibrarys() throws Throwable {
    assumeTrue(Files.isRegularFile(StandIn.REAL_LIBRARY),
        () -> { System.out.println("skipped: " + StandIn.REAL_LIBRARY + " absent (Debian package libnvidia-ml1)");
                return "no real NVML"; });
    Linker linker = Linker.nativeLinker();
    FunctionDescriptor desc = FunctionDescriptor.of(ADDRESS, JAVA_INT);
    try (Arena arena = Arena.ofConfined()) {
      MethodHandle real = linker.downcallHandle(
          SymbolLookup.libraryLookup(StandIn.REAL_LIBRARY, arena).findOrThrow("nvmlErrorString"), desc);
      MethodHandle standIn = linker.downcallHandle(
          SymbolLookup.libraryLookup(StandIn.LIBRARY, arena).findOrThrow("nvmlErrorString"), desc);
      for (Map.Entry<Integer, String> e : ErrorTexts.REAL_535.entrySet()) {
        String fromReal = ((MemorySegment) real.invokeExact((int) e.getKey())).reinterpret(256).getString(0);
        String fromStandIn = ((MemorySegment) standIn.invokeExact((int) e.getKey())).reinterpret(256).getString(0);
        assertEquals(fromReal, e.getValue(), "reference table, code " + e.getKey());
        assertEquals(fromReal, fromStandIn, "stand-in, code " + e.getKey());
      }
    }
  }
}
