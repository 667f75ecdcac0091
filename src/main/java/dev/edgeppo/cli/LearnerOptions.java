package dev.edgeppo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeppo.backend.Backends;
import dev.edgeppo.ppo.Hyperparameters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options {@code simulate} and {@code simulate pendulum} share (a picocli mixin): backend, hyperparameters, output. */
final class LearnerOptions {
  private static final ObjectMapper JSON = dev.edgeppo.json.Json.MAPPER;

  @Option(names = "--backend", defaultValue = "cpu", description = "update backend: cpu | cuda | cuda-host | auto (default: ${DEFAULT-VALUE})")
  String backend;
  @Option(names = "--config", description = "JSON object of hyperparameter overrides (names as in /v1/policy)")
  Path config;
  @Option(names = "--hp", description = "one hyperparameter override, name=value (repeatable; after --config)")
  Map<String, String> hp = new LinkedHashMap<>();
  @Option(names = "--json", description = "print one JSON object on stdout and nothing on stderr")
  boolean json;
  @Option(names = "--plot", description = "write a PNG plot here")
  Path plot;

  /** Refuses what cannot run before anything is simulated. */
  void check() {
    Backends.available(backend).ifPresent(why -> { throw new IllegalArgumentException(why); });
    if (plot != null && !plot.toString().toLowerCase(Locale.ROOT).endsWith(".png"))
      throw new IllegalArgumentException("--plot must name a .png file, got " + plot);
  }

  /** {@code defaults} (over the profile they name, else the seed's), then --config, then each --hp: each later one wins. */
  Hyperparameters hyperparameters(Map<String, Object> defaults) throws IOException {
    ObjectNode o = JSON.valueToTree(defaults);
    if (config != null) {
      JsonNode c = JSON.readTree(Files.readString(config));
      if (c == null || !c.isObject()) throw new IllegalArgumentException(config + ": expected a JSON object of hyperparameters");
      o.setAll((ObjectNode) c);
    }
    for (Map.Entry<String, String> e : hp.entrySet()) {
      JsonNode v;
      try {
        v = JSON.readTree(e.getValue());
      } catch (IOException ex) {
        v = JSON.getNodeFactory().textNode(e.getValue());
      }
      if (v == null || v.isContainerNode()) throw new IllegalArgumentException("--hp " + e.getKey() + ": '" + e.getValue() + "' is not a number, boolean or name");
      o.set(e.getKey(), v);
    }
    return Hyperparameters.withOverrides(o);
  }
}
