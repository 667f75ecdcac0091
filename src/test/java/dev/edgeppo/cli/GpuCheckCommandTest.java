package dev.edgeppo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.cuda.GpuCheck;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gpu-check as far as a machine without a GPU allows: the refusal without one, argument handling, and the
 * whole check run on the kernels' host build (cuda-host) with its report read back into the report's records,
 * every field present, so the report a GPU machine writes has this schema.
 */
class GpuCheckCommandTest {
  @TempDir Path dir;

  record Run(int exit, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter(), err = new StringWriter();
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    java.io.PrintStream realErr = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true));
    try {
      int rc = cl.execute(args);
      return new Run(rc, err + captured.toString());
    } finally {
      System.setErr(realErr);
    }
  }

  @Test
  void withoutAGpuItSaysSoExitsTwoAndWritesNothing() {
    if (GpuCheck.unavailable("cuda").isEmpty()) {
      System.out.println("skipped: this machine has a GPU, so gpu-check runs for real");
      return;
    }
    Path report = dir.resolve("r.json");
    Run r = run("gpu-check", "--out", report.toString());
    assertEquals(GpuCheckCommand.NO_GPU, r.exit(), r.err());
    assertTrue(r.err().contains("no GPU to check: "), r.err());
    assertFalse(Files.exists(report));
  }

  @Test
  void badArgumentsAreRefusedWithTheReason() {
    Run other = run("gpu-check", "--backend", "cpu", "--out", dir.resolve("a.json").toString());
    assertEquals(GpuCheckCommand.NO_GPU, other.exit());
    assertTrue(other.err().contains("gpu-check runs on cuda"), other.err());
    Run batches = run("gpu-check", "--backend", "cuda-host", "--batches", "0", "--out", dir.resolve("b.json").toString());
    assertEquals(1, batches.exit());
    assertTrue(batches.err().contains("--batches want sizes >= 1"), batches.err());
    Run noCase = run("gpu-check", "--backend", "cuda-host", "--cases", "nothing-*.json", "--out", dir.resolve("c.json").toString());
    assertEquals(1, noCase.exit());
    assertTrue(noCase.err().contains("no case in"), noCase.err());
    Run noDir = run("gpu-check", "--backend", "cuda-host", "--fixtures", dir.resolve("none").toString());
    assertEquals(1, noDir.exit());
    assertTrue(noDir.err().contains("no fixtures directory"), noDir.err());
  }

  @Test
  void theWholeCheckOnTheHostBuildWritesAReportOfTheSchema() throws Exception {
    Path report = dir.resolve("gpu-check.json");
    Run r = run("gpu-check", "--backend", "cuda-host", "--cases", "01-*.json", "--batches", "4", "--bench-warmup", "1",
        "--bench-iterations", "2", "--out", report.toString());
    assertEquals(0, r.exit(), r.err());
    ObjectMapper strict = GpuCheckCommand.JSON.copy().enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    GpuCheckCommand.Report rep = strict.readValue(report.toFile(), GpuCheckCommand.Report.class);
    assertEquals(GpuCheckCommand.SCHEMA, rep.schema());
    assertEquals("cuda-host", rep.backend());
    assertTrue(rep.passed(), rep.failures().toString());
    // One case on each of the three paths, each within PyTorchParityTest's tolerance.
    assertEquals(Set.of("fused", "layered", "layered_gemm"), rep.golden().stream().map(GpuCheck.GoldenResult::path).collect(Collectors.toSet()));
    for (GpuCheck.GoldenResult g : rep.golden()) {
      assertTrue(g.caseName().startsWith("01-"), g.toString());
      assertTrue(g.passed() && g.maxAbsError() <= GpuCheck.TOLERANCE, g.toString());
    }
    assertEquals(Set.of("cpu", "cuda-host"), rep.trainStep().stream().map(GpuCheckCommand.TrainStep::backend).collect(Collectors.toSet()));
    for (GpuCheckCommand.TrainStep s : rep.trainStep()) {
      assertEquals(4, s.batch());
      assertEquals(3, s.firstUs().size());
      assertTrue(s.updateUs() > 0, s.toString());
    }
    assertNotNull(rep.fusedLatency().measuredUs(), "batch 4 takes the fused path");
    assertEquals(80, rep.fusedLatency().estimateLowUs());
    assertEquals(160, rep.fusedLatency().estimateHighUs());
    assertNotNull(rep.gpuDiag());
    assertNotNull(rep.nvmlReading());
    assertTrue(rep.durationSeconds() > 0);
  }
}
