package dev.edgeppo.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One update on a backend against the golden cases written by tools/reference/ppo_reference.py
 * (PyTorch autograd, clip_grad_norm_, optim.Adam): every parameter to 2e-5, every step's losses, and
 * the update's metrics. Subclasses run the same cases on other backends.
 */
public class PyTorchParityTest {
  static final Path FIXTURES = Path.of("src/test/resources/fixtures/ppo");

  /** The backend under test; overridden by the other backends' parity tests. */
  protected UpdateBackend backend() { return new CpuBackend(); }

  public static Stream<Path> cases() throws IOException {
    try (Stream<Path> s = Files.list(FIXTURES)) {
      return s.filter(p -> p.toString().endsWith(".json")).sorted().toList().stream();
    }
  }

  @Test
  void theFixturesCoverWhatTheIssueAsks() throws IOException {
    List<UpdateCase> all = new ArrayList<>();
    for (Path p : cases().toList()) all.add(UpdateCase.read(p));
    assertTrue(all.size() >= 8, "at least 8 golden cases, found " + all.size());
    for (int t : new int[] {1, 7, 32, 300})
      assertTrue(all.stream().anyMatch(c -> c.batch().size() == t), "a case with T=" + t);
    assertTrue(all.stream().map(c -> c.parameters().layout().hidden()).distinct().count() >= 2, "several H");
    assertTrue(all.stream().anyMatch(c -> !c.hyperparameters().normalizeAdvantages()), "normalisation off");
    assertTrue(all.stream().anyMatch(c -> c.hyperparameters().normalizeAdvantages() && c.batch().size() > 1), "normalisation on");
    assertTrue(all.stream().anyMatch(c -> c.expected().path("steps").findValues("grad_norm").stream()
        .anyMatch(g -> g.asDouble() > c.hyperparameters().maxGradNorm())), "gradient clipping active");
    assertTrue(all.stream().anyMatch(c -> c.expected().path("steps").findValues("grad_norm").stream()
        .allMatch(g -> g.asDouble() < c.hyperparameters().maxGradNorm())), "gradient clipping inactive");
    assertTrue(all.stream().anyMatch(c -> c.expected().path("metrics").path("clip_fraction").asDouble() > 0), "ratio clipping exercised");
    assertTrue(all.stream().anyMatch(c -> c.hyperparameters().minibatchSize() > 0
        && c.batch().size() % c.hyperparameters().minibatchSize() != 0), "uneven minibatches");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void oneUpdateMatchesPyTorch(Path file) throws IOException {
    UpdateCase c = UpdateCase.read(file);
    List<CpuBackend.StepStats> steps = new ArrayList<>();
    UpdateMetrics m;
    String name;
    try (UpdateBackend b = backend()) {
      name = file.getFileName() + " on " + b.name();
      if (b instanceof CpuBackend cpu) cpu.setStepObserver(steps::add);
      m = b.update(c.parameters(), new AdamState(c.parameters().layout()), c.batch(), c.hyperparameters());
    }
    ParityAssert.assertTensorsClose(name, c.expectedParameters(), c.parameters(), ParityAssert.PARAM_TOL);

    JsonNode em = c.expected().get("metrics");
    assertEquals(em.get("steps").asInt(), m.steps(), name + " steps");
    assertEquals(em.get("skipped_steps").asInt(), m.skippedSteps(), name + " skipped steps");
    for (String k : new String[] {"policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction", "explained_variance", "grad_norm"}) {
      double got = switch (k) {
        case "policy_loss" -> m.policyLoss();
        case "value_loss" -> m.valueLoss();
        case "entropy" -> m.entropy();
        case "approx_kl" -> m.approxKl();
        case "clip_fraction" -> m.clipFraction();
        case "explained_variance" -> m.explainedVariance();
        default -> m.gradNorm();
      };
      ParityAssert.assertClose(name + " metric " + k, em.get(k).asDouble(), got, 2e-5, 1e-4);
    }
    for (int d = 0; d < 2; d++)
      ParityAssert.assertClose(name + " std[" + d + "]", em.get("std").get(d).asDouble(), m.std()[d], 2e-6, 1e-5);
    if (!steps.isEmpty()) {
      JsonNode es = c.expected().get("steps");
      assertEquals(es.size(), steps.size(), name + " step count");
      for (int i = 0; i < steps.size(); i++) {
        JsonNode e = es.get(i);
        CpuBackend.StepStats s = steps.get(i);
        assertEquals(e.path("skipped").asBoolean(false), s.skipped(), name + " step " + i + " skipped by the non-finite guard");
        if (s.skipped()) continue;
        ParityAssert.assertClose(name + " step " + i + " loss", e.get("loss").asDouble(), s.loss(), 2e-5, 1e-4);
        ParityAssert.assertClose(name + " step " + i + " policy_loss", e.get("policy_loss").asDouble(), s.policyLoss(), 2e-5, 1e-4);
        ParityAssert.assertClose(name + " step " + i + " value_loss", e.get("value_loss").asDouble(), s.valueLoss(), 2e-5, 1e-4);
        ParityAssert.assertClose(name + " step " + i + " grad_norm", e.get("grad_norm").asDouble(), s.gradNorm(), 2e-5, 1e-4);
      }
    }
  }
}
