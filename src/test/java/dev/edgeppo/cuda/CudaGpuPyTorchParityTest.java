package dev.edgeppo.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgeppo.ppo.PyTorchParityTest;
import dev.edgeppo.ppo.UpdateBackend;
import java.util.Optional;

/** The PyTorch golden cases on a real GPU; skipped with the reason printed where there is none. */
class CudaGpuPyTorchParityTest extends PyTorchParityTest {
  @Override
  protected UpdateBackend backend() {
    Optional<String> why = JCudaRunner.unavailableReason();
    why.ifPresent(r -> System.out.println("CudaGpuPyTorchParityTest skipped: " + r));
    assumeTrue(why.isEmpty(), () -> "no GPU: " + why.orElse(""));
    return CudaBackend.onGpu();
  }
}
