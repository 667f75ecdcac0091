package dev.edgeppo.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeppo.json.Json;
import dev.edgeppo.ppo.ActionMapping;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PolicyParams;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code serve --fleet} process and fabric8's mock API server (a mock, not a kube-apiserver): a fresh
 * agent joining a fleet whose policy grants 40 % of every ask answers its very first /allocate with the
 * fleet's grant, where its own untrained policy would grant about 95 %.
 */
class ServeFleetProcessTest {
  @TempDir Path dir;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void aFreshAgentsFirstGrantsAreTheFleets() throws Exception {
    Hyperparameters hp = Hyperparameters.serving();
    assertEquals(ActionMapping.RELATIVE, hp.actionMapping(), "the grants below are worked out for the relative mapping");
    // What the fleet learned, in short: the actor's output bias says "40 % of the ask" (mean 0.2 of the relative
    // mapping's 0.5 for the whole ask); everything else as a fresh agent's (serve's seed 0).
    PolicyParams fleet = PolicyParams.initialise(hp, 0);
    int bias = fleet.layout().actor().getLast().bias().offset();
    fleet.data()[bias] = (float) Math.log(0.2 / 0.8);
    try (MockFleetApi api = new MockFleetApi(); KubeFleetStore store = api.store()) {
      PolicyShare share = new PolicyShare("edge", "node-old", FleetNames.FORMAT, hp.hidden(), hp.actionMapping().json(), fleet.data(),
          new float[fleet.data().length], 5000, 0, 156, 1, Instant.now());
      store.create(FleetNames.objectName("edge", "node-old"), "edge", "node-old", share.toSpec());

      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      List<String> cmd = new ArrayList<>(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
          "-cp", System.getProperty("java.class.path"), "dev.edgeppo.cli.Main", "serve", "--port", "0", "--telemetry", "sim",
          "--backend", "cpu", "--mode", "infer", "--warmup-max-updates", "0", "--log-format", "json",
          "--fleet", "edge", "--fleet-namespace", MockFleetApi.NAMESPACE, "--node-name", "node-new",
          "--kubeconfig", api.kubeconfig(dir).toString()));
      Path log = dir.resolve("serve.log");
      Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
      try {
        int port = listening(p, log);
        JsonNode first = post(port, "/allocate", "{\"cores\":100,\"memory\":1000}");
        int cores = first.get("cores").asInt();
        // The fleet's mean is 0.2 ± 0.01 (the output layer's small initial weights): 38-42 % of 100.
        assertTrue(cores >= 38 && cores <= 42, "first grant " + cores + " %, the fleet's policy grants 40 %; log:\n" + Files.readString(log));
        JsonNode policy = get(port, "/v1/policy").get("fleet");
        assertEquals(2, policy.get("size").asInt(), policy.toString());
        assertEquals(1, policy.get("merges").asInt(), policy.toString());
        assertEquals(5000, policy.get("experience").asLong(), policy.toString());
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("edgeppo_fleet_merges_total 1.0"), metrics);
        assertTrue(metrics.contains("edgeppo_fleet_size 2.0"), metrics);
      } finally {
        p.destroy();
        assertTrue(p.waitFor(15, TimeUnit.SECONDS), "serve did not stop on SIGTERM");
      }
    }
  }

  /** A train-mode agent trains on a peer's experiences (64: two batches of the edge profile's 32) and says so. */
  @Test
  void aTrainingAgentTrainsOnAPeersExperiencesAndShowsIt() throws Exception {
    Hyperparameters hp = Hyperparameters.serving();
    PolicyParams fleet = PolicyParams.initialise(hp, 0);
    try (MockFleetApi api = new MockFleetApi(); KubeFleetStore store = api.store()) {
      PolicyShare share = new PolicyShare("edge", "node-old", FleetNames.FORMAT, hp.hidden(), hp.actionMapping().json(), fleet.data(),
          new float[fleet.data().length], 5000, 0, 156, 1, Instant.now(), PolicyShareTest.experiences(7, 64));
      store.create(FleetNames.objectName("edge", "node-old"), "edge", "node-old", share.toSpec());
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      List<String> cmd = List.of(java.toString(), "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
          "-cp", System.getProperty("java.class.path"), "dev.edgeppo.cli.Main", "serve", "--port", "0", "--telemetry", "sim",
          "--backend", "cpu", "--mode", "train", "--warmup-max-updates", "0", "--log-format", "json",
          "--fleet", "edge", "--fleet-namespace", MockFleetApi.NAMESPACE, "--node-name", "node-new",
          "--kubeconfig", api.kubeconfig(dir).toString());
      Path log = dir.resolve("serve.log");
      Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
      try {
        int port = listening(p, log);
        JsonNode ex = get(port, "/v1/policy").get("fleet").get("experiences");
        assertEquals("both", ex.get("sharing").asText(), ex.toString());
        assertTrue(ex.get("active").asBoolean(), ex.toString());
        assertEquals(64, ex.get("used").asLong(), ex.toString());
        assertEquals(0, ex.get("rejected").asLong(), ex.toString());
        // The trainer trains them off the request path: wait for its two updates (bounded).
        String metrics = "";
        for (int i = 0; i < 200 && !metrics.contains("edgeppo_fleet_peer_updates_total 2.0"); i++) {
          metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString()).body();
          if (!metrics.contains("edgeppo_fleet_peer_updates_total 2.0")) Thread.sleep(50);
        }
        assertTrue(metrics.contains("edgeppo_fleet_peer_updates_total 2.0"), metrics);
        assertTrue(metrics.contains("edgeppo_train_updates_total 2.0"), metrics);
        assertTrue(metrics.contains("edgeppo_fleet_experiences_used_total 64.0"), metrics);
        assertTrue(metrics.contains("edgeppo_fleet_experiences_shared_total 0.0"), "no feedback yet, nothing of its own to share");
      } finally {
        p.destroy();
        assertTrue(p.waitFor(15, TimeUnit.SECONDS), "serve did not stop on SIGTERM");
      }
    }
  }

  @Test
  void anUnreachableApiServerLeavesTheAgentServingAlone() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    int deadPort;
    try (MockFleetApi api = new MockFleetApi()) {
      deadPort = api.port();
      Files.writeString(dir.resolve("port"), Integer.toString(deadPort));
      api.kubeconfig(dir);
    }
    List<String> cmd = List.of(java.toString(), "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
        "-cp", System.getProperty("java.class.path"), "dev.edgeppo.cli.Main", "serve", "--port", "0", "--telemetry", "sim",
        "--backend", "cpu", "--mode", "infer", "--warmup-max-updates", "0", "--log-format", "json",
        "--fleet", "edge", "--node-name", "node-new", "--kubeconfig", dir.resolve("kubeconfig").toString());
    Path log = dir.resolve("serve.log");
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    try {
      int port = listening(p, log);
      int cores = post(port, "/allocate", "{\"cores\":100,\"memory\":1000}").get("cores").asInt();
      assertTrue(cores >= 90, "its own untrained policy grants nearly the whole ask, got " + cores);
      JsonNode fleet = get(port, "/v1/policy").get("fleet");
      assertEquals(false, fleet.get("connected").asBoolean(), fleet.toString());
      assertTrue(fleet.get("failed_syncs").asInt() >= 1, fleet.toString());
      assertTrue(Files.readString(log).contains("fleet unreachable"), Files.readString(log));
    } finally {
      p.destroy();
      assertTrue(p.waitFor(15, TimeUnit.SECONDS), "serve did not stop on SIGTERM");
    }
  }

  private static int listening(Process p, Path log) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    Pattern listening = Pattern.compile("listening on .*:(\\d+)$");
    for (String line; (line = out.readLine()) != null; ) {
      Matcher m = listening.matcher(line);
      if (m.find()) return Integer.parseInt(m.group(1));
    }
    throw new AssertionError("serve exited before listening: " + Files.readString(log));
  }

  private JsonNode post(int port, String path, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return Json.MAPPER.readTree(r.body());
  }

  private JsonNode get(int port, String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return Json.MAPPER.readTree(r.body());
  }
}
