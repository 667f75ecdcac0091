package dev.edgeppo.cuda;

import dev.edgeppo.ppo.PyTorchParityTest;
import dev.edgeppo.ppo.UpdateBackend;
import org.junit.jupiter.api.Nested;

/**
 * The PyTorch golden cases on cuda-host, each on the path the backend picks: the fused kernel for the
 * T <= 256, minibatch <= 32 cases, the layered kernels for 04 (T 300, minibatch 64) and the GEMM path
 * for 13 (T 300, whole batch). {@link Layered} and {@link LayeredGemm} force every case onto one path.
 */
class CudaHostPyTorchParityTest extends PyTorchParityTest {
  @Override
  protected UpdateBackend backend() { return CudaBackend.onHost(); }

  /** Every golden case through the layered kernels. */
  @Nested
  class Layered extends PyTorchParityTest {
    @Override
    protected UpdateBackend backend() { return CudaBackend.onHost(CudaBackend.Path.LAYERED); }
  }

  /** Every golden case through the layered kernels with the host GEMM in cuBLAS's place. */
  @Nested
  class LayeredGemm extends PyTorchParityTest {
    @Override
    protected UpdateBackend backend() { return CudaBackend.onHost(CudaBackend.Path.LAYERED_GEMM); }
  }
}
