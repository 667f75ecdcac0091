package dev.edgeppo.cuda;

import dev.edgeppo.ppo.PyTorchParityTest;
import dev.edgeppo.ppo.UpdateBackend;

/**
 * The PyTorch golden cases on cuda-host, each on the path the backend picks: the fused kernel for the
 * T <= 256, minibatch <= 32 cases, the layered kernels for 04 (T 300, minibatch 64) and the GEMM path
 * for 13 (T 300, whole batch). {@link Layered} and {@link LayeredGemm} force every case onto one path.
 * One backend per test (the parent asks for it twice: to run and to name it).
 */
class CudaHostPyTorchParityTest extends PyTorchParityTest {
  private UpdateBackend made;

  @Override
  protected UpdateBackend backend() { return made != null ? made : (made = CudaBackend.onHost()); }

  /** Every golden case through the layered kernels. */
  static class Layered extends PyTorchParityTest {
    private UpdateBackend made;

    @Override
    protected UpdateBackend backend() {
      return made != null ? made : (made = CudaBackend.onHost(CudaBackend.Path.LAYERED));
    }
  }

  /** Every golden case through the layered kernels with the host GEMM in cuBLAS's place. */
  static class LayeredGemm extends PyTorchParityTest {
    private UpdateBackend made;

    @Override
    protected UpdateBackend backend() {
      return made != null ? made : (made = CudaBackend.onHost(CudaBackend.Path.LAYERED_GEMM));
    }
  }
}
