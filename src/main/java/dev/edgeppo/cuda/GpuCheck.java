package dev.edgeppo.cuda;

import dev.edgeppo.ppo.PolicyParams;
import dev.edgeppo.ppo.UpdateCase;
import dev.edgeppo.ppo.UpdateMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The CUDA half of {@code edgeppo gpu-check}: every PyTorch golden case on each path of the CUDA backend
 * (fused, layered, layered with cuBLAS's GEMM), with its largest parameter error. On {@code cuda-host} the
 * same code runs the kernels' host build, so the check itself is tested on machines without a GPU.
 */
public final class GpuCheck {
  private GpuCheck() {}

  /** The tolerance of PyTorchParityTest: every parameter after the update within 2e-5 of PyTorch's. */
  public static final double TOLERANCE = 2e-5;

  /**
   * One golden case on one path.
   *
   * @param maxAbsError largest |ours - PyTorch| over every parameter (null when skipped)
   * @param skipped     why the case does not run on this path (null when it ran)
   */
  public record GoldenResult(String caseName, String path, Double maxAbsError, Boolean passed, String skipped) {}

  /** Empty when the backend can run here, else why not. */
  public static Optional<String> unavailable(String backend) {
    return switch (backend) {
      case "cuda" -> JCudaRunner.unavailableReason();
      case "cuda-host" -> HostRunner.unavailableReason();
      default -> Optional.of("gpu-check runs on cuda (or cuda-host, the kernels' host build, to test the check), not " + backend);
    };
  }

  /** Case files of a fixtures directory, in name order. */
  public static List<Path> cases(Path fixtures) throws IOException {
    if (!Files.isDirectory(fixtures)) throw new IOException("no fixtures directory " + fixtures);
    try (Stream<Path> s = Files.list(fixtures)) {
      List<Path> all = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
      if (all.isEmpty()) throw new IOException("no .json golden cases in " + fixtures);
      return all;
    }
  }

  /** Runs each case on each path of {@code backend} (cuda or cuda-host) from a fresh backend per case. */
  public static List<GoldenResult> golden(String backend, List<Path> cases) throws IOException {
    List<GoldenResult> out = new ArrayList<>();
    for (Path file : cases) {
      for (CudaBackend.Path path : CudaBackend.Path.values()) {
        UpdateCase c = UpdateCase.read(file);
        String name = file.getFileName().toString().replaceFirst("\\.json$", "");
        String p = path.name().toLowerCase();
        try (CudaBackend b = backend.equals("cuda") ? CudaBackend.onGpu(path) : CudaBackend.onHost(path)) {
          String why = skipReason(b, path, c);
          if (why != null) {
            out.add(new GoldenResult(name, p, null, null, why));
            continue;
          }
          PolicyParams params = c.parameters();
          UpdateMetrics m = b.update(params, new dev.edgeppo.ppo.AdamState(params.layout()), c.batch(), c.hyperparameters());
          double err = maxAbsError(c.expectedParameters(), params);
          out.add(new GoldenResult(name, p, err, err <= TOLERANCE && m != null, null));
        }
      }
    }
    return out;
  }

  /** Why a forced path cannot take this case (the backend's own words), or null. */
  private static String skipReason(CudaBackend b, CudaBackend.Path path, UpdateCase c) {
    try {
      b.pathFor(c.batch().size(), c.parameters().layout().hidden(), c.hyperparameters());
      return null;
    } catch (IllegalArgumentException | IllegalStateException e) {
      return e.getMessage();
    }
  }

  /** Largest absolute difference over every parameter; infinite when any is not finite. */
  public static double maxAbsError(Map<String, float[]> expected, PolicyParams actual) {
    double worst = 0;
    for (var e : expected.entrySet()) {
      float[] want = e.getValue(), got = actual.tensorCopy(e.getKey());
      if (want.length != got.length) return Double.POSITIVE_INFINITY;
      for (int i = 0; i < want.length; i++) {
        double err = Math.abs((double) want[i] - got[i]);
        if (!(err <= worst)) worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
      }
    }
    return worst;
  }

  /** The device the check ran on, for the report. */
  public static String deviceName(String backend) {
    if (!backend.equals("cuda")) return "host emulation (no GPU)";
    try (CudaBackend b = CudaBackend.onGpu()) {
      return b.describe();
    }
  }
}
