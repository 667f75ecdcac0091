package dev.edgeppo.cuda;

import dev.edgeppo.ppo.UpdateBackend;
import java.util.Optional;

/** Backends cuda (JCuda on the first GPU) and cuda-host (the same kernels built for the CPU). */
public final class CudaProviders {
  private CudaProviders() {}

  public static UpdateBackend.Provider cuda() {
    return new UpdateBackend.Provider() {
      public String name() { return "cuda"; }
      public Optional<String> unavailableReason() { return JCudaRunner.unavailableReason(); }
      public UpdateBackend open() { return CudaBackend.onGpu(); }
    };
  }

  public static UpdateBackend.Provider cudaHost() {
    return new UpdateBackend.Provider() {
      public String name() { return "cuda-host"; }
      public Optional<String> unavailableReason() { return HostRunner.unavailableReason(); }
      public UpdateBackend open() { return CudaBackend.onHost(); }
    };
  }
}
