package dev.edgeppo.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;

import dev.edgeppo.nvml.GpuReading;
import dev.edgeppo.nvml.Nvml;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One full GPU reading through the FFM bindings against what the seed paid per reading: starting a
 * process. {@code /bin/true} is the lower bound of any shell-out (nvidia-smi itself then initialises NVML,
 * reads, formats and exits on top of that).
 *
 * <p>How to run: {@code make bench JMH_ARGS="NvmlRead"}, or after {@code make build} and packaging the
 * benchmarks: {@code java --enable-native-access=ALL-UNNAMED -Dedgeppo.native.dir=native/build
 * -jar benchmarks/target/benchmarks.jar NvmlRead}. {@code -p library=system} reads the node's real
 * libnvidia-ml.so.1 (GPU node only); the default is the scripted stand-in of native/nvml-standin, which
 * measures the FFM path and the wrapper, not a driver's ioctls.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class NvmlReadBenchmark {
  @Param({"standin"})
  public String library;

  private Nvml nvml;
  private ProcessBuilder shellOut;

  @Setup(Level.Trial)
  public void setUp() throws Throwable {
    String path;
    if (library.equals("system")) {
      path = "libnvidia-ml.so.1";
    } else {
      // native/build holds the built stand-in; native/nvml-standin its sources and the tests' scripts
      Path built = Path.of(System.getProperty("edgeppo.native.dir", "native/build")).toAbsolutePath();
      Path standIn = built.resolve("nvml-standin/libnvidia-ml.so.1");
      if (!Files.isRegularFile(standIn)) throw new IllegalStateException(standIn + " missing: run `make native`");
      // GPU 0 of the tests' script is a fully reporting A2: every reading of the full set answers
      pointStandInAt(standIn, built.resolveSibling("nvml-standin/two-gpus.txt"));
      path = standIn.toString();
    }
    nvml = Nvml.open(path);
    shellOut = new ProcessBuilder("/bin/true").redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (nvml != null) nvml.close();
  }

  /** Everything the agent and gpu-diag read of one GPU: identity, utilization, memory, processes, power, ... */
  @Benchmark
  public GpuReading nvmlFullReading() {
    return nvml.read(0);
  }

  /** Start and wait for the cheapest possible process. */
  @Benchmark
  public int processStartTrue() throws IOException, InterruptedException {
    return shellOut.start().waitFor();
  }

  /** The stand-in reads its script at nvmlInit; its test hook names the file. */
  private static void pointStandInAt(Path standIn, Path script) throws Throwable {
    if (!Files.isRegularFile(script)) throw new IllegalStateException(script + " missing");
    try (Arena arena = Arena.ofConfined()) {
      MethodHandle set = Linker.nativeLinker().downcallHandle(
          SymbolLookup.libraryLookup(standIn, Arena.global()).findOrThrow("standin_set_script"),
          FunctionDescriptor.ofVoid(ADDRESS));
      set.invokeExact(arena.allocateFrom(script.toString()));
    }
  }
}
