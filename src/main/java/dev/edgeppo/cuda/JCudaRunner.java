package dev.edgeppo.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;

/**
 * The GPU runner: JCuda's driver API only (cuModuleLoadData of the fatbin packed in the jar,
 * cuLaunchKernel), so it needs nothing but the driver's libcuda.so.1; cuBLAS for the large GEMMs when
 * libcublas is present. Every CUDA call runs on one owning thread ({@link #call}); the primary context
 * is current there. {@code -Dedgeppo.cuda.sync=true} synchronises after each launch so an error names
 * the kernel that caused it.
 */
final class JCudaRunner implements KernelRunner {
  static final String FATBIN = "/dev/edgeppo/cuda/edgeppo.fatbin";
  private static final boolean SYNC_EACH_LAUNCH = Boolean.getBoolean("edgeppo.cuda.sync");

  private static final class Probe {
    static final Optional<String> REASON = probe();
  }

  /** Empty when a CUDA device, its driver and the kernels are all present, else the first missing one. */
  static Optional<String> unavailableReason() { return Probe.REASON; }

  private static Optional<String> probe() {
    if (JCudaRunner.class.getResource(FATBIN) == null)
      return Optional.of("kernels not built: " + FATBIN + " is not in the jar (build on a machine with nvcc)");
    try {
      JCudaDriver.setExceptionsEnabled(true);
      cuInit(0);
      int[] count = {0};
      cuDeviceGetCount(count);
      if (count[0] == 0) return Optional.of("no CUDA device");
      return loadsOnThisDriver();
    } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
      String msg = String.valueOf(e.getMessage());
      return Optional.of(msg.contains("libcuda")
          ? "no CUDA driver: libcuda.so.1 not found"
          : "JCuda's driver binding did not load: " + msg.lines().findFirst().orElse(msg));
    } catch (CudaException e) {
      return Optional.of("CUDA driver failed to initialise: " + e.getMessage());
    }
  }

  /**
   * Loads the fatbin once on device 0: machine code built by a newer toolkit than the driver supports
   * (nvcc 13 needs R580+) fails here, so {@code auto} falls back to the CPU instead of failing later.
   */
  private static Optional<String> loadsOnThisDriver() {
    int[] version = {0};
    CUdevice dev = new CUdevice();
    CUcontext ctx = new CUcontext();
    try {
      cuDriverGetVersion(version);
      cuDeviceGet(dev, 0);
      cuDevicePrimaryCtxRetain(ctx, dev);
      try {
        cuCtxSetCurrent(ctx);
        CUmodule m = new CUmodule();
        cuModuleLoadData(m, fatbin());
        cuModuleUnload(m);
      } finally {
        cuDevicePrimaryCtxRelease(dev);
      }
      return Optional.empty();
    } catch (CudaException | IOException e) {
      return Optional.of("the kernels do not load with this driver (CUDA " + version[0] / 1000 + "." + version[0] % 1000 / 10
          + "): " + e.getMessage() + "; an older driver needs kernels from an older toolkit (make NVCC=...)");
    }
  }

  private final ExecutorService owner = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "edgeppo-cuda");
    t.setDaemon(true);
    return t;
  });
  private Thread ownerThread;
  private final CUdevice device = new CUdevice();
  private final CUcontext context = new CUcontext();
  private final CUmodule module = new CUmodule();
  private final Map<String, CUfunction> functions = new HashMap<>();
  private final List<GpuBuffer> buffers = new ArrayList<>();
  private cublasHandle cublas;
  private String gemmUnavailable;
  private final String deviceName;
  // What the constructor acquired, so a failure half-way and close() release exactly that (on the owner thread).
  private boolean contextRetained, moduleLoaded, closed;

  JCudaRunner() {
    unavailableReason().ifPresent(r -> { throw new IllegalStateException("backend cuda: " + r); });
    try {
      deviceName = call(this::open);
    } catch (RuntimeException | Error e) {
      // cuDevicePrimaryCtxRetain (or a later step) may have succeeded: release what was taken, stop the thread.
      try {
        close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** On the owner thread: device, primary context, module, cuBLAS; each recorded as it is acquired. */
  private String open() throws IOException {
    ownerThread = Thread.currentThread();
    cuDeviceGet(device, 0);
    cuDevicePrimaryCtxRetain(context, device);
    contextRetained = true;
    cuCtxSetCurrent(context);
    cuModuleLoadData(module, fatbin());
    moduleLoaded = true;
    try {
      JCublas2.setExceptionsEnabled(true);
      cublas = new cublasHandle();
      JCublas2.cublasCreate(cublas);
    } catch (UnsatisfiedLinkError | NoClassDefFoundError | CudaException e) {
      cublas = null;
      gemmUnavailable = "cuBLAS unavailable (" + String.valueOf(e.getMessage()).lines().findFirst().orElse("")
          + "); large batches use the layered kernels only";
    }
    byte[] name = new byte[256];
    cuDeviceGetName(name, name.length, device);
    return new String(name, java.nio.charset.StandardCharsets.US_ASCII).trim().replace("\0", "");
  }

  private static byte[] fatbin() throws IOException {
    try (InputStream in = JCudaRunner.class.getResourceAsStream(FATBIN)) {
      if (in == null) throw new IOException(FATBIN + " missing from the classpath");
      return in.readAllBytes();
    }
  }

  String deviceName() { return deviceName; }

  /** Why the GEMM path is off on this machine, or null. */
  String gemmUnavailable() { return gemmUnavailable; }

  @Override
  public String name() { return "cuda"; }

  /** Runs {@code work} on the owning thread (where the context is current) and waits for it. */
  @Override
  public <T> T call(Callable<T> work) {
    if (Thread.currentThread() == ownerThread) {
      try {
        return work.call();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new KernelException(e.getMessage(), e);
      }
    }
    Future<T> f = owner.submit(work);
    try {
      return f.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw new KernelException(String.valueOf(e.getCause().getMessage()), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KernelException("interrupted while waiting for the CUDA thread", e);
    }
  }

  private void requireOwner(String what) {
    if (Thread.currentThread() != ownerThread)
      throw new IllegalStateException(what + " called off the CUDA owning thread; wrap it in call()");
  }

  /** A CUdeviceptr that tells its device address (JCuda keeps it protected). */
  private static final class DeviceAddress extends CUdeviceptr {
    long address() { return getNativePointer(); }
  }

  private final class GpuBuffer implements DeviceBuffer {
    final DeviceAddress ptr = new DeviceAddress();
    final long floats;
    boolean freed;

    GpuBuffer(long floats) {
      this.floats = floats;
      cuMemAlloc(ptr, Math.max(1, floats) * Float.BYTES);
    }

    @Override
    public long floats() { return floats; }

    @Override
    public void close() {
      if (freed) return;
      call(() -> cuMemFree(ptr));
      freed = true;
      buffers.remove(this);
    }
  }

  private static CUdeviceptr ptr(DevicePtr p) {
    if (!(p.buffer() instanceof GpuBuffer b)) throw new IllegalArgumentException("not a CUDA buffer: " + p.buffer());
    return b.ptr.withByteOffset(p.offset() * Float.BYTES);
  }

  /** The device address of p, as a kernel parameter holds it. */
  private static long address(DevicePtr p) {
    if (!(p.buffer() instanceof GpuBuffer b)) throw new IllegalArgumentException("not a CUDA buffer: " + p.buffer());
    return b.ptr.address() + p.offset() * Float.BYTES;
  }

  @Override
  public DeviceBuffer allocate(long floats) {
    requireOwner("allocate");
    GpuBuffer b = new GpuBuffer(floats);
    buffers.add(b);
    return b;
  }

  @Override
  public void upload(float[] src, int srcOffset, DevicePtr dst, int count) {
    requireOwner("upload");
    dst.requireRoom(count, "upload");
    cuMemcpyHtoD(ptr(dst), Pointer.to(src).withByteOffset((long) srcOffset * Float.BYTES), (long) count * Float.BYTES);
  }

  @Override
  public void download(DevicePtr src, float[] dst, int dstOffset, int count) {
    requireOwner("download");
    src.requireRoom(count, "download");
    cuMemcpyDtoH(Pointer.to(dst).withByteOffset((long) dstOffset * Float.BYTES), ptr(src), (long) count * Float.BYTES);
  }

  @Override
  public void launch(String kernel, Launch launch, KernelArgs args) {
    requireOwner("launch " + kernel);
    byte[][] values = args.values(JCudaRunner::address);
    Pointer[] params = new Pointer[values.length];
    for (int i = 0; i < values.length; i++) params[i] = Pointer.to(values[i]);
    try {
      CUfunction f = functions.computeIfAbsent(kernel, k -> {
        CUfunction fn = new CUfunction();
        cuModuleGetFunction(fn, module, k);
        return fn;
      });
      cuLaunchKernel(f, launch.grid(), 1, 1, launch.block(), 1, 1, launch.sharedBytes(), null, Pointer.to(params), null);
      if (SYNC_EACH_LAUNCH) cuCtxSynchronize();
    } catch (CudaException e) {
      throw new KernelException("kernel " + kernel + " (grid " + launch.grid() + ", block " + launch.block() + "): "
          + e.getMessage(), e);
    }
  }

  @Override
  public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DevicePtr a, int lda, DevicePtr b,
                    int ldb, float beta, DevicePtr c, int ldc) {
    requireOwner("sgemm");
    if (cublas == null) throw new IllegalStateException(gemmUnavailable);
    try {
      JCublas2.cublasSgemm(cublas, transA ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N,
          transB ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N, m, n, k, Pointer.to(new float[] {alpha}),
          ptr(a), lda, ptr(b), ldb, Pointer.to(new float[] {beta}), ptr(c), ldc);
      if (SYNC_EACH_LAUNCH) cuCtxSynchronize();
    } catch (CudaException e) {
      throw new KernelException("cublasSgemm " + m + "x" + n + "x" + k + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean hasGemm() { return cublas != null; }

  /**
   * Idempotent. Frees every buffer, cuBLAS, the module and the context, each even if an earlier one failed
   * (the first failure is thrown afterwards with the others suppressed), then stops the owning thread.
   */
  @Override
  public void close() {
    try {
      call(() -> {
        if (closed) return null;
        closed = true;
        List<Release.Step> steps = new ArrayList<>();
        for (GpuBuffer b : List.copyOf(buffers)) steps.add(b::close);
        if (cublas != null) steps.add(() -> JCublas2.cublasDestroy(cublas));
        if (moduleLoaded) steps.add(() -> cuModuleUnload(module));
        if (contextRetained) steps.add(() -> cuDevicePrimaryCtxRelease(device));
        Release.all("closing the CUDA runner", steps);
        return null;
      });
    } finally {
      owner.shutdown();
    }
  }
}
