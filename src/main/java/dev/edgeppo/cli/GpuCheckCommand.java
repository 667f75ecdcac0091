package dev.edgeppo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeppo.backend.Backends;
import dev.edgeppo.cuda.GpuCheck;
import dev.edgeppo.nvml.Nvml;
import dev.edgeppo.ppo.AdamState;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.JitSettling;
import dev.edgeppo.ppo.JitWarmup;
import dev.edgeppo.ppo.PolicyParams;
import dev.edgeppo.ppo.RolloutBatch;
import dev.edgeppo.ppo.UpdateBackend;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code edgeppo gpu-check} ({@code make gpu-check}): everything a machine with a GPU can tell us that this
 * one cannot, in one JSON report, so that the first GPU machine the project gets answers it in minutes.
 * Without a GPU it exits {@value #NO_GPU} with the reason and writes nothing.
 */
@Command(name = "gpu-check", mixinStandardHelpOptions = true,
    description = {"On a machine with an NVIDIA GPU: device and driver, every PyTorch golden case on each CUDA path",
        "(fused, layered, layered with cuBLAS) with its largest error, train-step on cuda against cpu, the fused",
        "path's latency against the 80-160 us estimate (docs/design.md), gpu-diag --json and the NVML reading time, in one",
        "JSON report. Exit 0: every check passed; 1: a check failed (see the report); 2: no GPU (nothing written)."})
final class GpuCheckCommand implements Callable<Integer> {
  static final int FAILED = 1, NO_GPU = 2;
  static final String SCHEMA = "edgeppo-gpu-check/1";
  /** snake_case keys, as gpu-diag writes them. */
  static final com.fasterxml.jackson.databind.ObjectMapper JSON = GpuDiagCommand.JSON;
  /** docs/design.md, "GPU latency budget of the fused path": estimated, not measured. */
  static final double FUSED_ESTIMATE_LOW_US = 80, FUSED_ESTIMATE_HIGH_US = 160;

  @Option(names = "--out", defaultValue = "target/gpu-check.json", description = "report file (default: ${DEFAULT-VALUE})")
  Path out;
  @Option(names = "--fixtures", defaultValue = "src/test/resources/fixtures/ppo", description = "golden cases (default: ${DEFAULT-VALUE})")
  Path fixtures;
  @Option(names = "--cases", defaultValue = "*.json", description = "glob of the case files to run (default: ${DEFAULT-VALUE})")
  String cases;
  @Option(names = "--batches", defaultValue = "32,256,2048", split = ",", description = "train-step batch sizes (default: ${DEFAULT-VALUE})")
  int[] batches;
  @Option(names = "--bench-warmup", defaultValue = "0", description = "fixed warm-up updates per train-step (0: until the JIT settles)")
  int benchWarmup;
  @Option(names = "--bench-iterations", defaultValue = "200", description = "timed updates per train-step (default: ${DEFAULT-VALUE})")
  int benchIterations;
  @Option(names = "--backend", defaultValue = "cuda", description = "cuda; cuda-host runs the check on the kernels' host build (tests the check without a GPU)")
  String backend;

  // The report; its schema is these records (GpuCheckReportTest checks a written report against them).
  record Report(String schema, String startedAt, double durationSeconds, String backend, Device device,
                List<GpuCheck.GoldenResult> golden, List<TrainStep> trainStep, FusedLatency fusedLatency, Diag gpuDiag,
                NvmlReading nvmlReading, List<String> failures, boolean passed) {}

  /** NVML's view of the driver; the CUDA backend's description of the device. */
  record Device(String cuda, String driverVersion, String nvmlVersion, String nvmlError) {}

  /** First updates of this shape in this JVM (cold), then the median once the JIT settled (warm). */
  record TrainStep(String backend, int batch, int hidden, String path, List<Double> firstUs, double updateUs,
                   int warmupUpdates, Boolean warmupSettled) {}

  record FusedLatency(Double measuredUs, double estimateLowUs, double estimateHighUs, Boolean withinEstimate) {}

  /** gpu-diag --json as it printed it, or its exit code and error text. */
  record Diag(int exitCode, JsonNode report, String error) {}

  record NvmlReading(Integer gpus, Integer readings, Double usPerReading, String error) {}

  @Override
  public Integer call() throws IOException {
    Optional<String> why = GpuCheck.unavailable(backend);
    if (why.isPresent()) {
      System.err.println("edgeppo gpu-check: no GPU to check: " + why.get() + ". Run it on a machine with an NVIDIA GPU"
          + " and its driver (exit " + NO_GPU + ", nothing written).");
      return NO_GPU;
    }
    if (batches.length == 0 || Arrays.stream(batches).anyMatch(b -> b < 1) || benchWarmup < 0 || benchIterations < 1)
      return refuse("--batches want sizes >= 1, --bench-warmup >= 0, --bench-iterations >= 1");
    long t0 = System.nanoTime();
    String started = Instant.now().toString();
    PathMatcher glob = FileSystems.getDefault().getPathMatcher("glob:" + cases);
    List<Path> files;
    try {
      files = GpuCheck.cases(fixtures).stream().filter(p -> glob.matches(p.getFileName())).toList();
    } catch (IOException e) {
      return refuse(e.getMessage());
    }
    if (files.isEmpty()) return refuse("no case in " + fixtures + " matches " + cases);
    List<String> failures = new ArrayList<>();

    Device device = device();
    List<GpuCheck.GoldenResult> golden = GpuCheck.golden(backend, files);
    golden.stream().filter(g -> Boolean.FALSE.equals(g.passed()))
        .forEach(g -> failures.add("golden " + g.caseName() + " on " + g.path() + ": max error " + g.maxAbsError()));

    List<TrainStep> steps = new ArrayList<>();
    for (int b : batches) {
      steps.add(trainStep("cpu", b));
      steps.add(trainStep(backend, b));
    }
    TrainStep fusedStep = steps.stream().filter(s -> s.backend().equals(backend) && s.path().equals("fused")).findFirst().orElse(null);
    FusedLatency fused = fusedStep == null
        ? new FusedLatency(null, FUSED_ESTIMATE_LOW_US, FUSED_ESTIMATE_HIGH_US, null)
        : new FusedLatency(fusedStep.updateUs(), FUSED_ESTIMATE_LOW_US, FUSED_ESTIMATE_HIGH_US,
            fusedStep.updateUs() >= FUSED_ESTIMATE_LOW_US && fusedStep.updateUs() <= FUSED_ESTIMATE_HIGH_US);
    Diag diag = gpuDiag();
    if (diag.exitCode() != 0 && backend.equals("cuda")) failures.add("gpu-diag --json exited " + diag.exitCode() + ": " + diag.error());
    NvmlReading nvml = nvmlReading();
    if (nvml.error() != null && backend.equals("cuda")) failures.add("NVML reading: " + nvml.error());

    Report r = new Report(SCHEMA, started, (System.nanoTime() - t0) / 1e9, backend, device, golden, steps, fused, diag, nvml,
        failures, failures.isEmpty());
    if (out.getParent() != null) Files.createDirectories(out.getParent());
    Files.writeString(out, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r) + "\n");
    System.err.printf("gpu-check: %s; report in %s (%.0f s)%n", r.passed() ? "every check passed" : failures.size() + " failed: " + failures,
        out, r.durationSeconds());
    return r.passed() ? 0 : FAILED;
  }

  /** Bad arguments: the reason on stderr, exit 1, nothing written. */
  private static int refuse(String why) {
    System.err.println("edgeppo gpu-check: " + why);
    return FAILED;
  }

  private Device device() {
    String cuda = GpuCheck.deviceName(backend);
    try (Nvml nvml = Nvml.open()) {
      return new Device(cuda, nvml.driverVersion(), nvml.nvmlVersion(), null);
    } catch (RuntimeException e) {
      return new Device(cuda, null, null, e.getMessage());
    }
  }

  private TrainStep trainStep(String name, int batch) {
    Hyperparameters hp = Hyperparameters.defaults().withBatchSize(batch);
    try (UpdateBackend b = Backends.open(name)) {
      PolicyParams p = PolicyParams.initialise(hp.hidden(), hp.initialStd(), 1);
      AdamState adam = new AdamState(p.layout());
      RolloutBatch rb = JitWarmup.syntheticBatch(batch, new SplittableRandom(7));
      List<Double> first = new ArrayList<>();
      for (int i = 0; i < 3; i++) first.add(time(b, p, adam, rb, hp) / 1e3);
      JitSettling settling = new JitSettling();
      int warmed = 0;
      while (benchWarmup > 0 ? warmed < benchWarmup : !settling.settled() && warmed < 5000) {
        settling.record(time(b, p, adam, rb, hp));
        warmed++;
      }
      long[] ns = new long[benchIterations];
      for (int i = 0; i < ns.length; i++) ns[i] = time(b, p, adam, rb, hp);
      Arrays.sort(ns);
      String path = b instanceof dev.edgeppo.cuda.CudaBackend c ? c.pathFor(batch, hp.hidden(), hp).name().toLowerCase() : "cpu";
      return new TrainStep(b.name(), batch, hp.hidden(), path, first, ns[ns.length / 2] / 1e3, warmed,
          benchWarmup > 0 ? null : settling.settled());
    }
  }

  private static long time(UpdateBackend b, PolicyParams p, AdamState adam, RolloutBatch rb, Hyperparameters hp) {
    long s = System.nanoTime();
    b.update(p, adam, rb, hp);
    return System.nanoTime() - s;
  }

  private static Diag gpuDiag() {
    StringWriter out = new StringWriter(), err = new StringWriter();
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int rc = cl.execute("gpu-diag", "--json");
    JsonNode report = null;
    try {
      if (rc == 0) report = JSON.readTree(out.toString());
    } catch (IOException e) {
      return new Diag(rc, null, "not JSON: " + e.getMessage());
    }
    return new Diag(rc, report, err.toString().isBlank() ? null : err.toString().strip());
  }

  /** Full readings of every GPU (22 NVML calls each), straight from the driver: µs per reading. */
  private static NvmlReading nvmlReading() {
    try (Nvml nvml = Nvml.open()) {
      int gpus = nvml.readAll().size();
      for (int i = 0; i < 20; i++) nvml.readAll();
      int n = 200;
      long s = System.nanoTime();
      for (int i = 0; i < n; i++) nvml.readAll();
      return new NvmlReading(gpus, n, (System.nanoTime() - s) / 1e3 / n, null);
    } catch (RuntimeException e) {
      return new NvmlReading(null, null, null, e.getMessage());
    }
  }
}
