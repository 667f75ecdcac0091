package dev.edgeppo.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeppo.cli.Main;
import dev.edgeppo.ppo.ParityAssert;
import dev.edgeppo.ppo.PolicyParams;
import dev.edgeppo.ppo.UpdateCase;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SPEC §2's command: {@code train-once --backend cuda-host} writes the parameters PyTorch computed. */
class TrainOnceCudaHostTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"01-defaults-t32-h64.json", "13-t300-h16-whole-batch.json"}) // fused, layered+GEMM
  void trainOnceOnCudaHostMatchesTheGoldenCase(String fixture) throws Exception {
    Path casePath = Path.of("src/test/resources/fixtures/ppo", fixture), out = dir.resolve("result.json");
    int rc = Main.commandLine().execute("train-once", "--case", casePath.toString(), "--out", out.toString(),
        "--backend", "cuda-host");
    assertEquals(0, rc, "exit code");
    UpdateCase c = UpdateCase.read(casePath);
    JsonNode result = UpdateCase.json().readTree(out.toFile());
    PolicyParams got = UpdateCase.parameters(result.get("parameters"), c.parameters().layout());
    ParityAssert.assertTensorsClose(fixture + " via train-once --backend cuda-host", c.expectedParameters(), got,
        ParityAssert.PARAM_TOL);
    assertEquals(c.expected().get("metrics").get("steps").asInt(), result.get("metrics").get("steps").asInt());
  }
}
