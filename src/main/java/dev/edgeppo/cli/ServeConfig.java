package dev.edgeppo.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.agent.Mode;
import dev.edgeppo.agent.StateEncoder;
import dev.edgeppo.json.Json;
import dev.edgeppo.k8s.KubeletPlugin;
import dev.edgeppo.observe.ObserveSettings;
import dev.edgeppo.ppo.Hyperparameters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The configuration of {@code serve}, each key from the first place that sets it: command-line flag
 * ({@code --state-dir}), environment variable ({@code EDGEPPO_STATE_DIR}), the JSON config file
 * ({@code "state_dir"}), then the default. Every hyperparameter is a key under its JSON name; their
 * defaults are those of the profile ({@code profile}, itself a key: {@link Hyperparameters#DEFAULT_PROFILE}
 * unless set), so {@code --profile seed} restores the seed's values and any single key still overrides.
 */
record ServeConfig(String bind, int port, String telemetry, String backend, Mode mode, Path stateDir, Path tokenFile,
                   Long maxMemoryMb, int maxPods, Duration pendingTtl, int maxPending, Duration readTimeout, long seed,
                   String logFormat, String logLevel, Hyperparameters hp, ObserveSettings observe, int warmupMaxUpdates, Duration warmupDeadline,
                   Duration telemetryPeriod, Duration telemetryMaxAge, KubeletPlugin.Settings dra, dev.edgeppo.fleet.FleetSettings fleet) {
  static final ObjectMapper JSON = Json.MAPPER;

  /** Keys of the agent itself, with defaults (null: unset) and what they mean. */
  static final Map<String, String[]> AGENT_KEYS = new LinkedHashMap<>();

  static {
    key("bind", "127.0.0.1", "address to listen on (0.0.0.0 for every interface)");
    key("port", "8080", "TCP port (0 picks a free one and logs it)");
    key("telemetry", "auto", "auto, nvml or sim");
    key("backend", "auto", "update backend: auto, cpu, cuda, ...");
    key("mode", "train", "train (sample and learn) or infer (mean, no learning)");
    key("state_dir", null, "directory for the checkpoint and the journal; unset: nothing survives a restart");
    key("token_file", null, "file holding the bearer token every endpoint but /healthz and /readyz wants");
    key("max_memory_mb", null, "memory scale of the state and action; unset: the chosen GPU's total");
    key("max_pods", Integer.toString(StateEncoder.DEFAULT_MAX_PODS), "pods that make state[4] = 1");
    key("pending_ttl_seconds", Long.toString(AgentOptions.DEFAULT_PENDING_TTL.toSeconds()), "allocations without feedback expire after this");
    key("max_pending", Integer.toString(AgentOptions.DEFAULT_MAX_PENDING), "allocations remembered at most; past it the oldest expires");
    key("read_timeout_seconds", "10", "a request must arrive whole within this");
    key("seed", "0", "seeds the fresh policy and action sampling");
    key("log_format", "text", "text or json (one object a line)");
    key("log_level", "info", "debug, info, warn or error");
    key("proc_root", "/proc", "where the pod observer reads /proc/<pid>/cgroup (the host's: the agent needs hostPID)");
    key("observe_period_seconds", "2", "the pod observer reads each observed pod's GPU processes this often (decimals allowed)");
    key("observe_window_seconds", "60", "an observed pod is judged after this long from its first GPU process, or when its processes are gone");
    key("telemetry_period_ms", Long.toString(dev.edgeppo.telemetry.SampledTelemetry.DEFAULT_PERIOD.toMillis()),
        "the GPUs are read this often by a sampler, off the request path");
    key("telemetry_max_age_ms", Long.toString(dev.edgeppo.telemetry.SampledTelemetry.DEFAULT_MAX_AGE.toMillis()),
        "a reading older than this is refused: /allocate, /feedback and /readyz answer 503 until a new one");
    key("warmup_max_updates", Integer.toString(dev.edgeppo.ppo.JitWarmup.DEFAULT_MAX_UPDATES),
        "train mode: at start, updates at most (and warmup_deadline_ms at most) on a small throwaway learner until the JIT has compiled the update (0: none)");
    key("warmup_deadline_ms", Long.toString(dev.edgeppo.ppo.JitWarmup.DEFAULT_DEADLINE.toMillis()),
        "train mode: the start-up warm-up stops after this long at most, so a real update waits at most this for it");
    // The node's DRA driver (SPEC §5): on when kubelet_plugin_dir is set.
    key("kubelet_plugin_dir", null, "run the DRA driver: its socket dra.sock goes here (in a cluster /var/lib/kubelet/plugins/gpu.edgeppo.dev)");
    key("kubelet_registry_dir", "/var/lib/kubelet/plugins_registry", "the kubelet's plugin registration directory");
    key("cdi_dir", "/var/run/cdi", "where the DRA driver writes the CDI spec of each prepared claim");
    key("node_name", null, "this node's name; unset: $NODE_NAME");
    key("kubeconfig", null, "kubeconfig file for the API server; unset: in-cluster configuration");
    // The fleet (SPEC §7): on when fleet is set.
    key("fleet", null, "share what is learned with the agents of this fleet through FleetPolicy objects in the API server; unset: learn alone");
    key("fleet_namespace", null, "namespace of the fleet's FleetPolicy objects; unset: the pod's namespace, else edgeppo");
    key("fleet_sync_seconds", "60", "the fleet's objects are written and read this often");
    key("fleet_step", Double.toString(dev.edgeppo.fleet.FleetNames.DEFAULT_STEP),
        "at most this many agents' progress added up in one merge (1: plain federated averaging; docs/fleet.md)");
    key("fleet_share", dev.edgeppo.fleet.FleetMember.Sharing.BOTH.json(),
        "what the fleet's agents share: both, parameters (merged) or experience (its newest experiences, trained on by the others; gamma 0 only)");
    key("dra_slots_per_gpu", "0", "0: one shared device per GPU (consumable capacity); K: K slot devices per GPU, the ask in the claim's config");
  }

  private static void key(String k, String def, String help) { AGENT_KEYS.put(k, new String[] {def, help}); }

  /** Hyperparameter keys with serve's defaults (the default profile's), in the record's order. */
  static Map<String, Object> hyperparameterDefaults() {
    return values(Hyperparameters.serving());
  }

  private static Map<String, Object> values(Hyperparameters hp) {
    return JSON.convertValue(hp, new TypeReference<LinkedHashMap<String, Object>>() {});
  }

  static String flag(String key) { return "--" + key.replace('_', '-'); }

  static String env(String key) { return "EDGEPPO_" + key.toUpperCase(Locale.ROOT); }

  /**
   * @param flags values given on the command line, by key
   * @param file  the config file, or null
   */
  static ServeConfig resolve(Map<String, String> flags, Map<String, String> env, Path file) throws IOException {
    Map<String, JsonNode> fromFile = file == null ? Map.of() : readFile(file);
    Sources src = new Sources(flags, env, fromFile, file);
    // The profile first: it gives every other hyperparameter its default.
    String profile = src.raw("profile", Hyperparameters.DEFAULT_PROFILE).trim();
    if (!Hyperparameters.profiles().contains(profile)) throw src.bad("profile", profile, "one of " + Hyperparameters.profiles());
    Map<String, Object> hpMap = values(Hyperparameters.profile(profile));
    for (Map.Entry<String, Object> e : hpMap.entrySet()) {
      String raw = src.raw(e.getKey(), null);
      if (raw != null) e.setValue(src.typed(e.getKey(), raw, e.getValue()));
    }
    Hyperparameters hp = Hyperparameters.withOverrides(JSON.valueToTree(hpMap));
    String mode = src.string("mode");
    if (!mode.equals("train") && !mode.equals("infer")) throw src.bad("mode", mode, "train or infer");
    String stateDir = src.string("state_dir"), token = src.string("token_file"), maxMem = src.string("max_memory_mb");
    long ttl = src.longIn("pending_ttl_seconds", 1, 7 * 24 * 3600);
    long period = src.longIn("telemetry_period_ms", 10, 60_000), maxAge = src.longIn("telemetry_max_age_ms", 20, 600_000);
    if (maxAge <= period) throw src.bad("telemetry_max_age_ms", Long.toString(maxAge), "more than telemetry_period_ms (" + period + ")");
    KubeletPlugin.Settings dra = null;
    String pluginDir = src.string("kubelet_plugin_dir");
    int slots = (int) src.longIn("dra_slots_per_gpu", 0, 1024);
    if (pluginDir != null) {
      String node = src.string("node_name");
      if (node == null) node = env.get("NODE_NAME");
      String kubeconfig = src.string("kubeconfig");
      dra = new KubeletPlugin.Settings(Path.of(pluginDir), Path.of(src.string("kubelet_registry_dir")), Path.of(src.string("cdi_dir")),
          node, kubeconfig == null ? null : Path.of(kubeconfig), stateDir == null ? null : Path.of(stateDir), slots, null);
    }
    dev.edgeppo.fleet.FleetSettings fleet = null;
    String fleetName = src.string("fleet");
    long syncSeconds = src.longIn("fleet_sync_seconds", 1, 86_400);
    double step = src.doubleIn("fleet_step", 1, 1000);
    dev.edgeppo.fleet.FleetMember.Sharing sharing;
    try {
      sharing = dev.edgeppo.fleet.FleetMember.Sharing.of(src.string("fleet_share"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(src.where("fleet_share") + ": " + e.getMessage(), e);
    }
    if (fleetName != null) {
      String node = src.string("node_name");
      if (node == null) node = env.get("NODE_NAME");
      if (node == null) node = java.net.InetAddress.getLocalHost().getHostName();
      String ns = src.string("fleet_namespace");
      String kubeconfig = src.string("kubeconfig");
      try {
        fleet = new dev.edgeppo.fleet.FleetSettings(fleetName, ns == null ? dev.edgeppo.fleet.FleetLoop.defaultNamespace() : ns,
            Duration.ofSeconds(syncSeconds), step, node, kubeconfig == null ? null : Path.of(kubeconfig), sharing);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(src.where("fleet") + ": " + e.getMessage(), e);
      }
    }
    return new ServeConfig(src.string("bind"), (int) src.longIn("port", 0, 65535), src.string("telemetry"),
        src.string("backend"), Mode.valueOf(mode.toUpperCase(Locale.ROOT)),
        stateDir == null ? null : Path.of(stateDir), token == null ? null : Path.of(token),
        maxMem == null ? null : src.longIn("max_memory_mb", dev.edgeppo.ppo.ActionMapping.MIN_MEMORY_MB + 1, 1L << 40), (int) src.longIn("max_pods", 1, 1_000_000),
        Duration.ofSeconds(ttl), (int) src.longIn("max_pending", 1, dev.edgeppo.agent.AllocationTable.MAX_SLOTS), Duration.ofSeconds(src.longIn("read_timeout_seconds", 1, 3600)),
        src.longIn("seed", Long.MIN_VALUE, Long.MAX_VALUE), src.string("log_format"), src.string("log_level"), hp,
        observe(src), (int) src.longIn("warmup_max_updates", 0, 1_000_000),
        Duration.ofMillis(src.longIn("warmup_deadline_ms", 1, 600_000)), Duration.ofMillis(period), Duration.ofMillis(maxAge), dra, fleet);
  }

  private static ObserveSettings observe(Sources src) {
    Duration period = src.secondsIn("observe_period_seconds", 0.001, 3600);
    Duration window = src.secondsIn("observe_window_seconds", 0.001, 24 * 3600);
    if (window.compareTo(period) < 0) {
      throw src.bad("observe_window_seconds", src.string("observe_window_seconds"),
          "at least observe_period_seconds (" + src.string("observe_period_seconds") + ")");
    }
    String root = src.string("proc_root");
    if (root.isBlank()) throw src.bad("proc_root", root, "a directory");
    return new ObserveSettings(Path.of(root), period, window);
  }

  private static Map<String, JsonNode> readFile(Path file) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException("config file " + file + ": " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) throw new IOException("config file " + file + ": must be a JSON object");
    Map<String, Object> hpDefaults = hyperparameterDefaults();
    Map<String, JsonNode> out = new LinkedHashMap<>();
    List<String> unknown = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!AGENT_KEYS.containsKey(e.getKey()) && !hpDefaults.containsKey(e.getKey())) unknown.add(e.getKey());
      out.put(e.getKey(), e.getValue());
    }
    if (!unknown.isEmpty()) throw new IOException("config file " + file + ": unknown keys " + unknown);
    return out;
  }

  /** Looks a key up in precedence order and remembers where its value came from, for error messages. */
  private record Sources(Map<String, String> flags, Map<String, String> env, Map<String, JsonNode> file, Path filePath) {
    String raw(String key, String def) {
      if (flags.get(key) != null) return flags.get(key);
      if (env.get(ServeConfig.env(key)) != null) return env.get(ServeConfig.env(key));
      JsonNode n = file.get(key);
      if (n != null && !n.isNull()) return n.isValueNode() ? n.asText() : n.toString();
      return def;
    }

    String where(String key) {
      if (flags.get(key) != null) return flag(key);
      if (env.get(ServeConfig.env(key)) != null) return ServeConfig.env(key);
      if (file.get(key) != null) return "\"" + key + "\" in " + filePath;
      return "default of " + key;
    }

    String string(String key) { return raw(key, AGENT_KEYS.get(key)[0]); }

    long longIn(String key, long lo, long hi) {
      String v = string(key);
      try {
        long n = Long.parseLong(v.trim());
        if (n < lo || n > hi) throw bad(key, v, "an integer in " + lo + ".." + hi);
        return n;
      } catch (NumberFormatException e) {
        throw bad(key, v, "an integer in " + lo + ".." + hi);
      }
    }

    double doubleIn(String key, double lo, double hi) {
      String v = string(key);
      try {
        double d = Double.parseDouble(v.trim());
        if (!(d >= lo && d <= hi)) throw bad(key, v, "a number in " + lo + ".." + hi);
        return d;
      } catch (NumberFormatException e) {
        throw bad(key, v, "a number in " + lo + ".." + hi);
      }
    }

    /** A duration in seconds, decimals allowed (tests observe on millisecond periods). */
    Duration secondsIn(String key, double lo, double hi) {
      String v = string(key);
      try {
        double d = Double.parseDouble(v.trim());
        if (!(d >= lo && d <= hi)) throw bad(key, v, "a number of seconds in " + lo + ".." + hi);
        return Duration.ofNanos(Math.round(d * 1e9));
      } catch (NumberFormatException e) {
        throw bad(key, v, "a number of seconds in " + lo + ".." + hi);
      }
    }

    Object typed(String key, String raw, Object def) {
      String v = raw.trim();
      try {
        if (def instanceof String) return v;
        if (def instanceof Boolean) {
          if (!v.equals("true") && !v.equals("false")) throw bad(key, raw, "true or false");
          return Boolean.parseBoolean(v);
        }
        if (def instanceof Integer) return Integer.parseInt(v);
        double d = Double.parseDouble(v);
        if (!Double.isFinite(d)) throw bad(key, raw, "a finite number");
        return d;
      } catch (NumberFormatException e) {
        throw bad(key, raw, def instanceof Integer ? "an integer" : "a number");
      }
    }

    IllegalArgumentException bad(String key, String value, String want) {
      return new IllegalArgumentException(where(key) + ": '" + value + "' is not " + want);
    }
  }
}
