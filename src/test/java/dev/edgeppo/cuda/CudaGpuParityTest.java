package dev.edgeppo.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same parity checks as {@link CudaBackendParityTest} on a real GPU through JCuda. Skipped, with
 * the reason printed, where no CUDA driver, device or fatbin exists (this machine and CI).
 */
class CudaGpuParityTest {
  static Optional<String> unavailable;

  @BeforeAll
  static void probe() {
    unavailable = JCudaRunner.unavailableReason();
    unavailable.ifPresent(r -> System.out.println("CudaGpuParityTest skipped: " + r));
  }

  static Stream<Arguments> cases() { return CudaBackendParityTest.cases(); }

  @ParameterizedTest(name = "{0} via {1}")
  @MethodSource("cases")
  void gpuMatchesCpuBackend(CudaBackendParityTest.Case c, CudaBackend.Path path) {
    assumeTrue(unavailable.isEmpty(), () -> "no GPU: " + unavailable.orElse(""));
    CudaBackendParityTest.check(c, path, () -> CudaBackend.onGpu(path));
  }
}
