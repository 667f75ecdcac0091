package dev.edgeppo.cli;

import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.server.AgentRuntime;
import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code edgeppo serve}: the agent (SPEC §3, §4). Every configuration key is a flag, an {@code EDGEPPO_*}
 * variable and a key of the {@code --config} JSON file, in that precedence. SIGTERM or SIGINT stops it
 * gracefully (see {@link AgentRuntime#close}) and exits 0.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, modelTransformer = ServeCommand.Flags.class,
    description = {"Run the agent: /allocate, /feedback, /healthz, /readyz, /metrics, /v1/policy.",
        "Each option is also EDGEPPO_<NAME> in the environment and \"<name>\" in the --config file."})
public final class ServeCommand implements Callable<Integer> {
  private static final Logger LOG = Logger.getLogger(ServeCommand.class.getName());

  @CommandLine.Spec CommandSpec spec;

  @CommandLine.Option(names = "--config", paramLabel = "FILE", description = "JSON file of configuration keys (also EDGEPPO_CONFIG)")
  Path config;

  /** Adds one String option per configuration key, so help lists them all and none is written twice. */
  public static final class Flags implements CommandLine.IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      ServeConfig.AGENT_KEYS.forEach((k, v) -> spec.addOption(option(k,
          v[1] + (v[0] == null ? "" : " (default " + v[0] + ")"))));
      ServeConfig.hyperparameterDefaults().forEach((k, v) -> spec.addOption(option(k,
          "hyperparameter " + k + " (default " + v + ")")));
      return spec;
    }

    private static OptionSpec option(String key, String help) {
      return OptionSpec.builder(ServeConfig.flag(key)).type(String.class).paramLabel("<" + key + ">")
          .description(help).descriptionKey(key).build();
    }
  }

  @Override
  public Integer call() throws Exception {
    Map<String, String> flags = new HashMap<>();
    Map<String, Object> hpKeys = ServeConfig.hyperparameterDefaults();
    for (OptionSpec o : spec.options()) {
      String key = o.descriptionKey();
      boolean ours = ServeConfig.AGENT_KEYS.containsKey(key) || hpKeys.containsKey(key);
      if (ours && o.getValue() != null) flags.put(key, o.getValue());
    }
    Map<String, String> env = System.getenv();
    Path file = config != null ? config : env.get("EDGEPPO_CONFIG") == null ? null : Path.of(env.get("EDGEPPO_CONFIG"));
    ServeConfig cfg = ServeConfig.resolve(flags, env, file);
    LogSetup.configure(cfg.logFormat(), cfg.logLevel());

    String token = cfg.tokenFile() == null ? null : ServeAccess.readToken(cfg.tokenFile(), LOG::warning);
    ServeAccess.requireTokenOffLoopback(cfg.bind(), token != null);
    AgentOptions options = new AgentOptions(cfg.mode(), false, cfg.seed(), InstantSource.system(), cfg.pendingTtl(),
        cfg.maxMemoryMb(), cfg.maxPods(), cfg.maxPending());
    AgentRuntime rt = AgentRuntime.start(new AgentRuntime.Settings(cfg.bind(), cfg.port(), cfg.stateDir(), token, cfg.hp(),
        options, cfg.readTimeout(), cfg.telemetry(), cfg.backend(), cfg.observe(), cfg.telemetryPeriod(),
        cfg.telemetryMaxAge(), cfg.dra(), cfg.fleet()));
    if (cfg.mode() == dev.edgeppo.agent.Mode.TRAIN) rt.warmUpTrainer(cfg.warmupMaxUpdates(), cfg.warmupDeadline());
    // One plain line on stdout that scripts and tests wait for, whatever the log format.
    System.out.println("edgeppo serve listening on " + cfg.bind() + ":" + rt.port());
    System.out.flush();

    CountDownLatch stopped = new CountDownLatch(1);
    Runnable stop = () -> {
      try {
        rt.close();
      } catch (IOException | RuntimeException e) {
        LOG.log(Level.SEVERE, "error while stopping", e);
      } finally {
        stopped.countDown();
      }
    };
    Signals.onTermination(() -> {
      stop.run();
      System.exit(0);
    });
    stopped.await();
    return 0;
  }
}
