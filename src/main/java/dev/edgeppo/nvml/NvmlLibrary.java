package dev.edgeppo.nvml;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Loads the NVML library the agent was told to use, so that the generated bindings (which find their
 * symbols through the class loader's lookup) call into it, and tells which symbols it exports.
 *
 * <p>A JVM binds one NVML: once a library is loaded, asking for a different one is an error rather than
 * a silent mix of two libraries' symbols.
 */
final class NvmlLibrary {
  static final String ENV = "EDGEPPO_NVML_LIBRARY";
  static final String SYSTEM_NAME = "libnvidia-ml.so.1";

  private static Path loaded;
  private static Set<String> exported;

  private NvmlLibrary() {}

  static final String PROPERTY = "edgeppo.nvml.library";

  /**
   * System property edgeppo.nvml.library (tests and embedders, who cannot set the environment of their own
   * JVM), else $EDGEPPO_NVML_LIBRARY, else the system's libnvidia-ml.so.1. Blank counts as unset.
   */
  static String configured() {
    for (String v : new String[] {System.getProperty(PROPERTY), System.getenv(ENV)}) {
      if (v != null && !v.isBlank()) return v.trim();
    }
    return SYSTEM_NAME;
  }

  /**
   * Loads {@code library} (a path, or a bare soname the dynamic linker searches for) and returns its
   * absolute path. Failing to find or load it is NVML_ERROR_LIBRARY_NOT_FOUND, the code NVML's own
   * loaders use, with the reason appended.
   */
  static synchronized Path load(String library, List<String> symbolsOfInterest) {
    Path path = library.contains("/") ? Path.of(library).toAbsolutePath().normalize() : locate(library);
    if (!Files.isRegularFile(path)) throw notFound(library, "no such file " + path);
    try {
      // The same file reached through a symlink (libnvidia-ml.so.1 -> .so.535...) is the same library.
      path = path.toRealPath();
    } catch (java.io.IOException e) {
      throw notFound(library, e.toString());
    }
    if (loaded != null) {
      if (!loaded.equals(path)) {
        throw new IllegalStateException("this JVM already uses NVML from " + loaded + "; cannot switch to " + path);
      }
      return loaded;
    }
    try {
      System.load(path.toString());
    } catch (UnsatisfiedLinkError e) {
      throw notFound(library, e.getMessage());
    }
    Set<String> present = new HashSet<>();
    try (Arena arena = Arena.ofConfined()) {
      // Looked up in this very file, so a symbol of some other library can never pass for NVML's.
      SymbolLookup own = SymbolLookup.libraryLookup(path, arena);
      for (String s : symbolsOfInterest) if (own.find(s).isPresent()) present.add(s);
    }
    loaded = path;
    exported = Set.copyOf(present);
    return path;
  }

  static synchronized boolean exports(String symbol) {
    return exported != null && exported.contains(symbol);
  }

  private static NvmlException notFound(String library, String why) {
    return new NvmlException("dlopen", NvmlReturn.LIBRARY_NOT_FOUND.code(),
        "NVML Shared Library Not Found: " + library + ": " + why);
  }

  /**
   * Where the dynamic linker finds {@code soname} (LD_LIBRARY_PATH, ld.so.cache, ...): opened through
   * the linker, then asked back with dladdr, since System.load wants a path.
   */
  private static Path locate(String soname) {
    try (Arena arena = Arena.ofConfined()) {
      SymbolLookup lib;
      try {
        lib = SymbolLookup.libraryLookup(soname, arena);
      } catch (IllegalArgumentException e) {
        throw notFound(soname, "the dynamic linker cannot find it (is the NVIDIA driver's libnvidia-ml installed?)");
      }
      MemorySegment any = lib.find("nvmlErrorString").orElseThrow(
          () -> notFound(soname, "it exports no nvmlErrorString: not an NVML library"));
      Linker linker = Linker.nativeLinker();
      MethodHandle dladdr = linker.downcallHandle(linker.defaultLookup().findOrThrow("dladdr"),
          FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
      // Dl_info: dli_fname, dli_fbase, dli_sname, dli_saddr
      MemorySegment info = arena.allocate(MemoryLayout.sequenceLayout(4, ADDRESS));
      int ok = (int) dladdr.invokeExact(any, info);
      MemorySegment fname = info.get(ADDRESS, 0);
      if (ok == 0 || fname.equals(MemorySegment.NULL)) throw notFound(soname, "dladdr cannot name the file");
      return Path.of(fname.reinterpret(Long.MAX_VALUE).getString(0)).toAbsolutePath();
    } catch (NvmlException | IllegalStateException e) {
      throw e;
    } catch (Throwable t) {
      throw notFound(soname, t.toString());
    }
  }
}
