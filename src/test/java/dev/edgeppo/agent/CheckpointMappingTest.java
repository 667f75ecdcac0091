package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.checkpoint.Checkpoint;
import dev.edgeppo.ppo.ActionMapping;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The action mapping a policy was learned under travels with it, and a state dir refuses to serve it under another. */
class CheckpointMappingTest {
  @TempDir Path dir;

  @Test
  void aCheckpointNamesItsMappingAndIsRefusedUnderAnother() throws Exception {
    Hyperparameters edge = Hyperparameters.serving();
    try (var l = dev.edgeppo.ppo.PpoLearner.fresh(edge, new CpuBackend(), 1)) {
      Checkpoint.write(dir.resolve(StateDir.CHECKPOINT), l.snapshot(), edge, java.util.Map.of());
    }
    Checkpoint c = Checkpoint.read(dir.resolve(StateDir.CHECKPOINT));
    assertEquals("relative", c.metadata().get("action_mapping"));
    assertEquals(ActionMapping.RELATIVE, c.hyperparameters().actionMapping());
    assertEquals("edge", c.hyperparameters().profile());
    IOException e = assertThrows(IOException.class, () -> StateDir.open(dir, Hyperparameters.defaults()));
    assertTrue(e.getMessage().contains("learned under the action mapping 'relative' but the configuration says 'seed'"), e.getMessage());
    assertTrue(Files.exists(dir.resolve(StateDir.CHECKPOINT)), "nothing learned is lost: the checkpoint stays");
    try (StateDir again = StateDir.open(dir, Hyperparameters.serving())) {
      assertTrue(again.checkpoint().isPresent());
    }
  }
}
