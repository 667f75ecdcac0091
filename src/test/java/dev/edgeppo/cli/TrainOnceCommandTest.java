package dev.edgeppo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.ppo.ParamLayout;
import dev.edgeppo.ppo.ParityAssert;
import dev.edgeppo.ppo.UpdateCase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train-once and bench train-step through the very command line users run (SPEC §2, §3). */
class TrainOnceCommandTest {
  @TempDir Path dir;

  static int run(StringWriter out, StringWriter err, String... args) {
    var cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void writesTheParametersAfterOneUpdate() throws Exception {
    Path fixture = Path.of("src/test/resources/fixtures/ppo/01-defaults-t32-h64.json");
    Path out = dir.resolve("result.json");
    assertEquals(0, run(new StringWriter(), new StringWriter(), "train-once", "--case", fixture.toString(), "--out", out.toString()));
    var result = new ObjectMapper().readTree(out.toFile());
    var got = UpdateCase.parameters(result.get("parameters"), ParamLayout.of(64));
    ParityAssert.assertTensorsClose("train-once", UpdateCase.read(fixture).expectedParameters(), got, ParityAssert.PARAM_TOL);
    assertTrue(result.get("metrics").has("approx_kl"));
  }

  @Test
  void refusesABrokenCaseAndWritesNothing() throws Exception {
    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, "{\"hyperparameters\": {}, \"parameters\": {}}");
    Path out = dir.resolve("result.json");
    StringWriter err = new StringWriter();
    assertEquals(1, run(new StringWriter(), err, "train-once", "--case", bad.toString(), "--out", out.toString()));
    assertTrue(err.toString().contains("missing field 'actor.0.weight'"), err.toString());
    assertFalse(Files.exists(out));
  }

  @Test
  void refusesAnUnknownBackend() {
    StringWriter err = new StringWriter();
    assertEquals(1, run(new StringWriter(), err, "train-once", "--case", "x.json", "--out", dir.resolve("o").toString(), "--backend", "tpu"));
    assertTrue(err.toString().contains("unknown backend 'tpu'"), err.toString());
  }
}
