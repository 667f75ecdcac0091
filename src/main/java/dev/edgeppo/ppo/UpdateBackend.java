package dev.edgeppo.ppo;

/**
 * Runs one PPO update of SPEC §2 (GAE, optional advantage normalisation, K epochs of clipped-surrogate
 * loss, gradient clipping, Adam, the guards) on some hardware. Parameters and Adam state are updated in
 * place. Implementations: {@link CpuBackend} (the reference), the CUDA backend and its host emulation.
 * An instance is used by one thread at a time.
 */
public interface UpdateBackend extends AutoCloseable {
  /** Short name as the command line takes it: cpu, cuda, cuda-host. */
  String name();

  UpdateMetrics update(PolicyParams params, AdamState adam, RolloutBatch batch, Hyperparameters hp);

  @Override
  default void close() {}

  /** A backend that may or may not be usable on this machine (the registry by name is {@code backend.Backends}). */
  interface Provider {
    String name();

    /** Empty when usable, else why not (shown to the user). */
    java.util.Optional<String> unavailableReason();

    UpdateBackend open();
  }
}
