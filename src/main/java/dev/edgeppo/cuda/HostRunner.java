package dev.edgeppo.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs the kernels compiled for the host (native/build/libedgeppo_cudahost.so, see native/cuda-host)
 * through FFM. "Device pointers" are native host memory owned by this runner; arguments are
 * passed as cuLaunchKernel's kernelParams, an array of pointers to the values. Those are raw addresses
 * that FFM cannot keep alive, so every use is bracketed by {@link InFlight}: a {@link #close} from another
 * thread during a launch frees the memory only when the launch has returned.
 */
final class HostRunner implements KernelRunner {
  static final String LIBRARY = "libedgeppo_cudahost.so";

  /** The loaded library's entry points, or why it could not be loaded; loaded once per process. */
  private record Native(MethodHandle launch, MethodHandle lastError, MethodHandle sgemm) {}

  private static final class Holder {
    static final Object NATIVE = load();

    private static Object load() {
      String dir = System.getProperty("edgeppo.native.dir");
      if (dir == null) return "system property edgeppo.native.dir is not set (bin/edgeppo and the tests set it)";
      Path lib = Path.of(dir, LIBRARY);
      if (!Files.isRegularFile(lib)) return "host kernels not built: " + lib + " is missing (run make native)";
      try {
        SymbolLookup l = SymbolLookup.libraryLookup(lib, Arena.global());
        Linker linker = Linker.nativeLinker();
        return new Native(
            linker.downcallHandle(find(l, "edgeppo_launch"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS)),
            linker.downcallHandle(find(l, "edgeppo_last_error"), FunctionDescriptor.of(ADDRESS)),
            linker.downcallHandle(find(l, "edgeppo_sgemm"), FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT)));
      } catch (RuntimeException e) {
        return "cannot load " + lib + ": " + e.getMessage();
      }
    }

    private static MemorySegment find(SymbolLookup l, String name) {
      return l.find(name).orElseThrow(() -> new IllegalStateException("symbol " + name + " missing"));
    }
  }

  /** Empty when the host kernels can run here, else why not. */
  static Optional<String> unavailableReason() {
    return Holder.NATIVE instanceof String s ? Optional.of(s) : Optional.empty();
  }

  private final Native lib;
  private final Arena arena = Arena.ofShared(); // kernel names
  private final Map<String, MemorySegment> names = new HashMap<>();
  private final List<HostBuffer> buffers = new ArrayList<>();
  private final InFlight inFlight = new InFlight();

  HostRunner() {
    if (!(Holder.NATIVE instanceof Native n)) throw new IllegalStateException("backend cuda-host: " + Holder.NATIVE);
    lib = n;
  }

  @Override
  public String name() { return "cuda-host"; }

  /** Native memory of its own arena, so a buffer the backend outgrows is freed at once. */
  private final class HostBuffer implements DeviceBuffer {
    final Arena owner = Arena.ofShared();
    final MemorySegment seg;
    final long floats;

    HostBuffer(long floats) {
      this.floats = floats;
      seg = owner.allocate(Math.max(1, floats) * Float.BYTES, 64);
      buffers.add(this);
    }

    @Override
    public long floats() { return floats; }

    @Override
    public void close() {
      if (buffers.remove(this)) owner.close();
    }
  }

  private static MemorySegment segment(DevicePtr p) {
    if (!(p.buffer() instanceof HostBuffer b)) throw new IllegalArgumentException("not a cuda-host buffer: " + p.buffer());
    return b.seg.asSlice(p.offset() * Float.BYTES);
  }

  /** Runs {@code work} with the runner's memory guaranteed alive until it returns, even if closed meanwhile. */
  @Override
  public <T> T call(java.util.concurrent.Callable<T> work) {
    inFlight.enter("cuda-host");
    try {
      return KernelRunner.super.call(work);
    } finally {
      if (inFlight.exit()) free();
    }
  }

  private void guarded(String what, Runnable r) {
    inFlight.enter(what);
    try {
      r.run();
    } finally {
      if (inFlight.exit()) free();
    }
  }

  @Override
  public DeviceBuffer allocate(long floats) {
    inFlight.enter("allocate");
    try {
      return new HostBuffer(floats);
    } finally {
      if (inFlight.exit()) free();
    }
  }

  @Override
  public void upload(float[] src, int srcOffset, DevicePtr dst, int count) {
    guarded("upload", () -> {
      dst.requireRoom(count, "upload");
      MemorySegment.copy(src, srcOffset, segment(dst), JAVA_FLOAT, 0, count);
    });
  }

  @Override
  public void download(DevicePtr src, float[] dst, int dstOffset, int count) {
    guarded("download", () -> {
      src.requireRoom(count, "download");
      MemorySegment.copy(segment(src), JAVA_FLOAT, 0, dst, dstOffset, count);
    });
  }

  @Override
  public void launch(String kernel, Launch launch, KernelArgs args) {
    guarded("kernel " + kernel, () -> launchNow(kernel, launch, args));
  }

  private void launchNow(String kernel, Launch launch, KernelArgs args) {
    try (Arena call = Arena.ofConfined()) {
      byte[][] values = args.values(p -> segment(p).address());
      MemorySegment argv = call.allocate(ADDRESS, Math.max(1, values.length));
      for (int i = 0; i < values.length; i++)
        argv.setAtIndex(ADDRESS, i, call.allocate(values[i].length, 8).copyFrom(MemorySegment.ofArray(values[i])));
      MemorySegment name = names.computeIfAbsent(kernel, arena::allocateFrom);
      int rc = (int) lib.launch().invokeExact(name, launch.grid(), launch.block(), launch.sharedBytes(), argv);
      if (rc != 0) throw new KernelException(lastError());
    } catch (KernelException | IllegalArgumentException e) {
      throw e;
    } catch (Throwable t) {
      throw new KernelException("kernel " + kernel + ": host launch failed: " + t, t);
    }
  }

  private String lastError() throws Throwable {
    MemorySegment s = (MemorySegment) lib.lastError().invokeExact();
    return s.reinterpret(4096).getString(0);
  }

  @Override
  public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DevicePtr a, int lda, DevicePtr b,
                    int ldb, float beta, DevicePtr c, int ldc) {
    guarded("sgemm", () -> sgemmNow(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
  }

  private void sgemmNow(boolean transA, boolean transB, int m, int n, int k, float alpha, DevicePtr a, int lda, DevicePtr b,
                        int ldb, float beta, DevicePtr c, int ldc) {
    // the same extents cuBLAS would touch, checked here because the host has no memory protection to help
    a.requireRoom((long) lda * ((transA ? m : k) - 1) + (transA ? k : m), "sgemm A");
    b.requireRoom((long) ldb * ((transB ? k : n) - 1) + (transB ? n : k), "sgemm B");
    c.requireRoom((long) ldc * (n - 1) + m, "sgemm C");
    try {
      lib.sgemm().invokeExact(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, segment(a), lda, segment(b), ldb, beta,
          segment(c), ldc);
    } catch (Throwable t) {
      throw new KernelException("sgemm on the host failed: " + t, t);
    }
  }

  @Override
  public boolean hasGemm() { return true; }

  /** Idempotent; from any thread. Frees at once, or when the work in flight returns. */
  @Override
  public void close() {
    if (inFlight.close()) free();
  }

  private void free() {
    List<Release.Step> steps = new ArrayList<>();
    for (HostBuffer b : List.copyOf(buffers)) steps.add(b::close);
    steps.add(arena::close);
    Release.all("cuda-host close", steps);
  }
}
