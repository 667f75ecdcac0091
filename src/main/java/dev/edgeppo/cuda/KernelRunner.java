package dev.edgeppo.cuda;

import java.util.concurrent.Callable;

/**
 * Runs the kernels of cuda-kernels/ on some device: a GPU through JCuda's driver API, or the host
 * through the g++-built emulation. {@link CudaBackend} drives both the same way, so the host run
 * exercises the GPU's orchestration. Not thread-safe: one owning thread.
 *
 * <p>Kernels are launched through {@link Kernels}' typed methods, which build each launch's
 * {@link KernelArgs}.
 */
public interface KernelRunner extends AutoCloseable {
  /** cuda or cuda-host. */
  String name();

  DeviceBuffer allocate(long floats);

  void upload(float[] src, int srcOffset, DevicePtr dst, int count);

  void download(DevicePtr src, float[] dst, int dstOffset, int count);

  /** Launches {@code kernel} (its C name) with the arguments of its signature, in order. */
  void launch(String kernel, Launch launch, KernelArgs args);

  /**
   * cublasSgemm's contract (column-major, C = alpha op(A) op(B) + beta C), on the GPU by cuBLAS, on the
   * host by a plain loop of the same signature.
   */
  void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, DevicePtr a, int lda, DevicePtr b,
             int ldb, float beta, DevicePtr c, int ldc);

  /**
   * Runs {@code work} where this runner's calls must be made: the CUDA owning thread on the GPU,
   * inline on the host. Every method below is called inside it.
   */
  default <T> T call(Callable<T> work) {
    try {
      return work.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new KernelException(String.valueOf(e.getMessage()), e);
    }
  }

  /** Whether {@link #sgemm} is available (cuBLAS may be missing where the driver is not). */
  boolean hasGemm();

  @Override
  void close();
}
