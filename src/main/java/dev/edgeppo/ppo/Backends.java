package dev.edgeppo.ppo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The update backends by command-line name. {@code auto} takes CUDA when a device and the kernels
 * exist, else the CPU, and says why.
 */
public final class Backends {
  private Backends() {}

  /** A backend that may or may not be usable on this machine. */
  public interface Provider {
    String name();

    /** Empty when usable, else why not (shown to the user). */
    Optional<String> unavailableReason();

    UpdateBackend open();
  }

  /** What {@link #choose} picked and why. */
  public record Choice(UpdateBackend backend, String why) {}

  private static final Map<String, Provider> PROVIDERS = new LinkedHashMap<>();

  static {
    register(new Provider() {
      public String name() { return "cpu"; }
      public Optional<String> unavailableReason() { return Optional.empty(); }
      public UpdateBackend open() { return new CpuBackend(); }
    });
    register(dev.edgeppo.cuda.CudaProviders.cuda());
    register(dev.edgeppo.cuda.CudaProviders.cudaHost());
  }

  public static synchronized void register(Provider p) { PROVIDERS.put(p.name(), p); }

  public static synchronized List<String> names() {
    List<String> n = new ArrayList<>(PROVIDERS.keySet());
    n.add(0, "auto");
    return n;
  }

  /** Empty when {@code name} can be opened here, else the reason it cannot. */
  public static synchronized Optional<String> available(String name) {
    if ("auto".equals(name)) return Optional.empty();
    Provider p = PROVIDERS.get(name);
    if (p == null) return Optional.of("unknown backend '" + name + "'; choose one of " + names());
    return p.unavailableReason();
  }

  public static UpdateBackend open(String name) { return choose(name).backend(); }

  public static synchronized Choice choose(String name) {
    if ("auto".equals(name)) {
      Provider cuda = PROVIDERS.get("cuda");
      if (cuda == null) return new Choice(new CpuBackend(), "backend cpu: this build has no CUDA backend");
      Optional<String> why = cuda.unavailableReason();
      if (why.isEmpty()) return new Choice(cuda.open(), "backend cuda: a CUDA device and the kernels are present");
      return new Choice(new CpuBackend(), "backend cpu: CUDA unavailable (" + why.get() + ")");
    }
    Optional<String> why = available(name);
    if (why.isPresent()) throw new IllegalStateException("backend " + name + " unavailable: " + why.get());
    return new Choice(PROVIDERS.get(name).open(), "backend " + name + ": requested");
  }
}
