package dev.edgeppo.nvml;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The scripted stand-in libnvidia-ml.so.1 of native/nvml-standin, driven through its test hooks. The test
 * JVM loads it once (surefire sets edgeppo.nvml.library to it); each test points it at a new script, which
 * it reads at the next nvmlInit_v2.
 */
public final class StandIn {
  public static final Path NATIVE = Path.of(System.getProperty("edgeppo.native.dir", "native/build"));
  public static final Path LIBRARY = NATIVE.resolve("nvml-standin/libnvidia-ml.so.1").toAbsolutePath();
  public static final Path OLD_LIBRARY = NATIVE.resolve("nvml-standin-old/libnvidia-ml.so.1").toAbsolutePath();
  /** Debian's libnvidia-ml1: the real NVML, which without a driver answers "Driver Not Loaded". */
  public static final Path REAL_LIBRARY = Path.of("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1");

  private static final MethodHandle SET_SCRIPT;
  private static final MethodHandle RELOAD;
  private static final MethodHandle CALLS;
  private static final MethodHandle INIT_COUNT;

  static {
    assertTrue(Files.isRegularFile(LIBRARY), LIBRARY + " is missing: run `make native` (make test does)");
    SymbolLookup hooks = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
    Linker linker = Linker.nativeLinker();
    SET_SCRIPT = linker.downcallHandle(hooks.findOrThrow("standin_set_script"), FunctionDescriptor.ofVoid(ADDRESS));
    RELOAD = linker.downcallHandle(hooks.findOrThrow("standin_reload"), FunctionDescriptor.of(JAVA_INT));
    CALLS = linker.downcallHandle(hooks.findOrThrow("standin_calls"), FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    INIT_COUNT = linker.downcallHandle(hooks.findOrThrow("standin_init_count"), FunctionDescriptor.of(JAVA_INT));
  }

  private StandIn() {}

  /** Writes {@code script} to a file and makes it the one the next nvmlInit_v2 reads; returns the file. */
  public static Path script(String script) {
    try {
      Path file = Files.createTempFile("nvml-standin-", ".txt");
      file.toFile().deleteOnExit();
      Files.writeString(file, script);
      try (Arena arena = Arena.ofConfined()) {
        SET_SCRIPT.invokeExact(arena.allocateFrom(file.toString()));
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** Opens NVML (the stand-in) on a fresh script. */
  public static Nvml open(String script) {
    script(script);
    return Nvml.open(LIBRARY.toString());
  }

  /**
   * Reads the current script again without an init: the scene changes under a running reader. Fails the test
   * when the script does not parse.
   */
  public static void reload() {
    int rc;
    try {
      rc = (int) RELOAD.invokeExact();
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
    if (rc != 0) throw new AssertionError("the stand-in's script did not load (NVML code " + rc + "); see stderr");
  }

  /** How often the stand-in's {@code function} ran since the last init. */
  public static long calls(String function) {
    try (Arena arena = Arena.ofConfined()) {
      return (long) CALLS.invokeExact(arena.allocateFrom(function));
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** NVML's reference count in the stand-in. */
  public static int initCount() {
    try {
      return (int) INIT_COUNT.invokeExact();
    } catch (Throwable t) {
      throw new AssertionError(t);
    }
  }

  /** The stand-in's scripts (native/nvml-standin). */
  public static final Path SCRIPTS = Path.of("native/nvml-standin");

  /** Two GPUs: a fully reporting A2 and a T4 that reports little, as scripted in two-gpus.txt. */
  public static final String TWO_GPUS = read(SCRIPTS.resolve("two-gpus.txt"));

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
