package dev.edgeppo.backend;

import dev.edgeppo.cuda.CudaProviders;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.UpdateBackend;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The update backends by command-line name. {@code auto} takes CUDA when a device and the kernels
 * exist, else the CPU, and says why. It lives above both {@code ppo} and {@code cuda} so that neither
 * names the other's registry: {@code cuda} implements {@link UpdateBackend.Provider}, and this class lists it.
 */
public final class Backends {
  private Backends() {}

  /** What {@link #choose} picked and why. */
  public record Choice(UpdateBackend backend, String why) {}

  private static final Map<String, UpdateBackend.Provider> PROVIDERS = new LinkedHashMap<>();

  static {
    register(new UpdateBackend.Provider() {
      public String name() { return "cpu"; }
      public Optional<String> unavailableReason() { return Optional.empty(); }
      public UpdateBackend open() { return new CpuBackend(); }
    });
    register(CudaProviders.cuda());
    register(CudaProviders.cudaHost());
  }

  public static synchronized void register(UpdateBackend.Provider p) { PROVIDERS.put(p.name(), p); }

  public static synchronized List<String> names() {
    List<String> n = new ArrayList<>(PROVIDERS.keySet());
    n.add(0, "auto");
    return n;
  }

  /** Empty when {@code name} can be opened here, else the reason it cannot. */
  public static synchronized Optional<String> available(String name) {
    if ("auto".equals(name)) return Optional.empty();
    UpdateBackend.Provider p = PROVIDERS.get(name);
    if (p == null) return Optional.of("unknown backend '" + name + "'; choose one of " + names());
    return p.unavailableReason();
  }

  public static UpdateBackend open(String name) { return choose(name).backend(); }

  public static synchronized Choice choose(String name) {
    if ("auto".equals(name)) {
      UpdateBackend.Provider cuda = PROVIDERS.get("cuda");
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
