package dev.edgeppo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.fleet.FleetNames;
import dev.edgeppo.fleet.FleetSettings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SPEC §7's keys: fleet, fleet_namespace, fleet_sync_seconds, fleet_step, as flags, variables and defaults. */
class ServeConfigFleetTest {
  @Test
  void withoutFleetTheAgentLearnsAlone() throws Exception {
    assertNull(ServeConfig.resolve(Map.of(), Map.of(), null).fleet());
  }

  @Test
  void flagsAndVariablesSetTheFleet() throws Exception {
    FleetSettings f = ServeConfig.resolve(Map.of("fleet", "edge", "node_name", "gpu-7", "fleet_namespace", "gpus"),
        Map.of("EDGEPPO_FLEET_SYNC_SECONDS", "30", "EDGEPPO_FLEET_STEP", "2.5"), null).fleet();
    assertEquals("edge", f.name());
    assertEquals("gpu-7", f.agent());
    assertEquals("gpus", f.namespace());
    assertEquals(Duration.ofSeconds(30), f.period());
    assertEquals(2.5, f.step());
    FleetSettings d = ServeConfig.resolve(Map.of("fleet", "edge"), Map.of("NODE_NAME", "n1"), null).fleet();
    assertEquals("n1", d.agent(), "the node's name from $NODE_NAME, as the DRA driver takes it");
    assertEquals(Duration.ofSeconds(60), d.period());
    assertEquals(FleetNames.DEFAULT_STEP, d.step());
  }

  @Test
  void badValuesAreRefusedNamingTheirSource() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ServeConfig.resolve(Map.of("fleet", "no spaces please", "node_name", "n1"), Map.of(), null));
    assertTrue(e.getMessage().contains("--fleet") && e.getMessage().contains("label value"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ServeConfig.resolve(Map.of("fleet", "edge", "node_name", "n1"), Map.of("EDGEPPO_FLEET_SYNC_SECONDS", "0"), null));
    assertTrue(e.getMessage().contains("EDGEPPO_FLEET_SYNC_SECONDS"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ServeConfig.resolve(Map.of("fleet", "edge", "node_name", "n1", "fleet_step", "0.5"), Map.of(), null));
    assertTrue(e.getMessage().contains("--fleet-step"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ServeConfig.resolve(Map.of("fleet", "edge", "node_name", "n1", "fleet_namespace", "Not_A_Namespace"), Map.of(), null));
    assertTrue(e.getMessage().contains("namespace"), e.getMessage());
  }
}
