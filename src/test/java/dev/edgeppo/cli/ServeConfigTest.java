package dev.edgeppo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.agent.Mode;
import dev.edgeppo.ppo.Hyperparameters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ServeConfigTest {
  @TempDir Path dir;

  @Test
  void badValuesNameTheirSource() throws Exception {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ServeConfig.resolve(Map.of("port", "x"), Map.of(), null));
    assertEquals("--port: 'x' is not an integer in 0..65535", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ServeConfig.resolve(Map.of(), Map.of("EDGEPPO_GAMMA", "lots"), null));
    assertTrue(e.getMessage().startsWith("EDGEPPO_GAMMA: 'lots'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ServeConfig.resolve(Map.of("learning_rate", "-1"), Map.of(), null));
    assertTrue(e.getMessage().contains("learning_rate must be"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ServeConfig.resolve(Map.of("mode", "learn"), Map.of(), null));
    assertTrue(e.getMessage().contains("train or infer"), e.getMessage());
    Path f = dir.resolve("bad.json");
    Files.writeString(f, "{\"lerning_rate\": 0.1}");
    IOException io = assertThrows(IOException.class, () -> ServeConfig.resolve(Map.of(), Map.of(), f));
    assertTrue(io.getMessage().contains("unknown keys [lerning_rate]"), io.getMessage());
  }

  @Test
  void defaultsComeFromHyperparametersAndTheAgent() throws Exception {
    ServeConfig c = ServeConfig.resolve(Map.of(), Map.of(), null);
    assertEquals(Hyperparameters.serving(), c.hp());
    assertEquals(Hyperparameters.DEFAULT_PROFILE, c.hp().profile());
    assertEquals(8080, c.port());
    assertEquals("127.0.0.1", c.bind());
    assertEquals(Mode.TRAIN, c.mode());
    assertNull(c.maxMemoryMb());
    assertEquals(Duration.ofMinutes(30), c.pendingTtl());
  }

  /** The warm-up's time bound (issue 21): JitWarmup's default, set by flag or environment, refused outside 1 ms..10 min. */
  @Test
  void theWarmUpDeadlineIsAKey() throws Exception {
    assertEquals(dev.edgeppo.ppo.JitWarmup.DEFAULT_DEADLINE, ServeConfig.resolve(Map.of(), Map.of(), null).warmupDeadline());
    assertEquals(Duration.ofMillis(500), ServeConfig.resolve(Map.of("warmup_deadline_ms", "500"), Map.of(), null).warmupDeadline());
    assertEquals(Duration.ofSeconds(8),
        ServeConfig.resolve(Map.of(), Map.of("EDGEPPO_WARMUP_DEADLINE_MS", "8000"), null).warmupDeadline());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ServeConfig.resolve(Map.of("warmup_deadline_ms", "0"), Map.of(), null));
    assertEquals("--warmup-deadline-ms: '0' is not an integer in 1..600000", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> ServeConfig.resolve(Map.of(), Map.of("EDGEPPO_WARMUP_DEADLINE_MS", "3s"), null));
  }

  /** max_pending up to what the allocation table's ring holds (2^24), refused past it rather than cut silently. */
  @Test
  void maxPendingStopsAtWhatTheTableHolds() throws Exception {
    assertEquals(1 << 24, ServeConfig.resolve(Map.of("max_pending", "16777216"), Map.of(), null).maxPending());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ServeConfig.resolve(Map.of("max_pending", "16777217"), Map.of(), null));
    assertEquals("--max-pending: '16777217' is not an integer in 1..16777216", e.getMessage());
  }

  @Test
  void flagBeatsEnvironmentBeatsFileBeatsDefault() throws Exception {
    Path f = dir.resolve("c.json");
    // replay_size 0: serve's replay assumes gamma 0, and this test sets another gamma
    Files.writeString(f, "{\"learning_rate\": 0.001, \"gamma\": 0.9, \"epochs\": 7, \"port\": 9000, \"max_memory_mb\": 16000, \"replay_size\": 0}");
    ServeConfig c = ServeConfig.resolve(Map.of("learning_rate", "0.003"),
        Map.of("EDGEPPO_LEARNING_RATE", "0.002", "EDGEPPO_GAMMA", "0.95", "EDGEPPO_MODE", "infer"), f);
    assertEquals(0.003, c.hp().learningRate());
    assertEquals(0.95, c.hp().gamma());
    assertEquals(7, c.hp().epochs());
    assertEquals(0.95, c.hp().gaeLambda());
    assertEquals(9000, c.port());
    assertEquals(16000L, c.maxMemoryMb());
    assertEquals(Mode.INFER, c.mode());
  }

  /** The profile is a key like every other: it sets every hyperparameter's default, and single keys still win. */
  @Test
  void theProfileIsAKeyLikeEveryOther() throws Exception {
    assertEquals(Hyperparameters.defaults(), ServeConfig.resolve(Map.of("profile", "seed"), Map.of(), null).hp());
    assertEquals(Hyperparameters.defaults(), ServeConfig.resolve(Map.of(), Map.of("EDGEPPO_PROFILE", "seed"), null).hp());
    Path f = dir.resolve("p.json");
    Files.writeString(f, "{\"profile\": \"seed\", \"epochs\": 6}");
    ServeConfig c = ServeConfig.resolve(Map.of(), Map.of(), f);
    assertEquals("seed", c.hp().profile());
    assertEquals(6, c.hp().epochs());
    assertEquals(0.99, c.hp().gamma(), "the seed's gamma, from the profile the file names");
    assertEquals(dev.edgeppo.ppo.ActionMapping.SEED, c.hp().actionMapping());
    c = ServeConfig.resolve(Map.of("profile", "seed", "action_mapping", "relative"), Map.of(), null);
    assertEquals(dev.edgeppo.ppo.ActionMapping.RELATIVE, c.hp().actionMapping());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ServeConfig.resolve(Map.of(), Map.of("EDGEPPO_PROFILE", "fast"), null));
    assertEquals("EDGEPPO_PROFILE: 'fast' is not one of [edge, seed]", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ServeConfig.resolve(Map.of("action_mapping", "absolute"), Map.of(), null));
    assertTrue(e.getMessage().contains("action_mapping must be one of [seed, relative]"), e.getMessage());
  }

  @Test
  void theObserversKeysComeFromFlagEnvironmentAndFile() throws Exception {
    ServeConfig d = ServeConfig.resolve(Map.of(), Map.of(), null);
    assertEquals(Path.of("/proc"), d.observe().procRoot());
    assertEquals(Duration.ofSeconds(2), d.observe().period());
    assertEquals(Duration.ofSeconds(60), d.observe().window());
    Path f = dir.resolve("o.json");
    Files.writeString(f, "{\"observe_window_seconds\": 30, \"proc_root\": \"/host/proc\"}");
    ServeConfig c = ServeConfig.resolve(Map.of("observe_period_seconds", "0.05"), Map.of("EDGEPPO_PROC_ROOT", "/hostproc"), f);
    assertEquals(Duration.ofMillis(50), c.observe().period());
    assertEquals(Duration.ofSeconds(30), c.observe().window());
    assertEquals(Path.of("/hostproc"), c.observe().procRoot());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ServeConfig.resolve(Map.of("observe_period_seconds", "5", "observe_window_seconds", "1"), Map.of(), null));
    assertTrue(e.getMessage().contains("--observe-window-seconds"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ServeConfig.resolve(Map.of(), Map.of("EDGEPPO_OBSERVE_PERIOD_SECONDS", "NaN"), null));
    assertTrue(e.getMessage().contains("EDGEPPO_OBSERVE_PERIOD_SECONDS"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ServeConfig.resolve(Map.of("observe_period_seconds", "0"), Map.of(), null));
  }

  @Test
  void everyHyperparameterIsAFlag() {
    CommandLine cl = Main.commandLine();
    CommandLine serve = cl.getSubcommands().get("serve");
    for (String k : ServeConfig.hyperparameterDefaults().keySet())
      assertTrue(serve.getCommandSpec().findOption(ServeConfig.flag(k)) != null, "no flag for " + k);
    for (String k : ServeConfig.AGENT_KEYS.keySet())
      assertTrue(serve.getCommandSpec().findOption(ServeConfig.flag(k)) != null, "no flag for " + k);
  }

  @Test
  void theDraDriverIsOnWithAPluginDirAndTakesItsKeysLikeEveryOther() throws Exception {
    assertNull(ServeConfig.resolve(Map.of(), Map.of(), null).dra(), "off by default");
    Path f = dir.resolve("dra.json");
    Files.writeString(f, "{\"kubelet_plugin_dir\": \"/p\", \"cdi_dir\": \"/c\", \"dra_slots_per_gpu\": 4, \"state_dir\": \"/s\"}");
    ServeConfig c = ServeConfig.resolve(Map.of("kubeconfig", "/k"), Map.of("NODE_NAME", "edge-7", "EDGEPPO_CDI_DIR", "/env-cdi"), f);
    assertEquals(Path.of("/p"), c.dra().pluginDir());
    assertEquals(Path.of("/var/lib/kubelet/plugins_registry"), c.dra().registryDir());
    assertEquals(Path.of("/env-cdi"), c.dra().cdiDir());
    assertEquals("edge-7", c.dra().nodeName());
    assertEquals(Path.of("/k"), c.dra().kubeconfig());
    assertEquals(Path.of("/s"), c.dra().stateDir());
    assertEquals(4, c.dra().slotsPerGpu());
    assertEquals("edge-8", ServeConfig.resolve(Map.of("kubelet_plugin_dir", "/p", "state_dir", "/s", "node_name", "edge-8"),
        Map.of("NODE_NAME", "edge-7"), null).dra().nodeName());

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ServeConfig.resolve(Map.of("kubelet_plugin_dir", "/p", "state_dir", "/s"), Map.of(), null));
    assertTrue(e.getMessage().contains("--node-name or $NODE_NAME"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ServeConfig.resolve(Map.of("kubelet_plugin_dir", "/p", "node_name", "n"), Map.of(), null));
    assertTrue(e.getMessage().contains("needs --state-dir"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ServeConfig.resolve(Map.of("dra_slots_per_gpu", "-1"), Map.of(), null));
    assertEquals("--dra-slots-per-gpu: '-1' is not an integer in 0..1024", e.getMessage());
  }
}
