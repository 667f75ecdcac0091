package dev.edgeppo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.nvml.StandIn;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve} in a JVM of its own on another NVML than the stand-in this JVM bound: the pod observer
 * degrades to "not observed" with the reason, counted, and the allocation stays open for POST /feedback.
 */
class ObserverOwnJvmTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String POD = "0a1b2c3d-4e5f-4061-8728-394a5b6c7d8e";
  final HttpClient http = HttpClient.newHttpClient();
  @TempDir Path dir;

  @Test
  void debiansRealNvmlWithoutADriverMeansNotObservedWithNvmlsReason() throws Exception {
    assumeTrue(Files.isRegularFile(StandIn.REAL_LIBRARY), () -> {
      System.out.println("skipped: " + StandIn.REAL_LIBRARY + " absent (Debian package libnvidia-ml1)");
      return "no real NVML library";
    });
    assumeFalse(Files.exists(Path.of("/proc/driver/nvidia/version")), "a GPU node: NVML works here");
    JsonNode s = notObserved(Map.of("EDGEPPO_NVML_LIBRARY", StandIn.REAL_LIBRARY.toString()), "nvml_unavailable", "auto");
    assertTrue(s.get("observation").get("why").get(0).asText().contains("Driver Not Loaded"), s.toString());
  }

  @Test
  void anOldDriverWithoutPerProcessSamplesMeansNotObservedWithItsReason() throws Exception {
    Path script = StandIn.script("gpu\nuuid GPU-old-0\nmemory 17179869184 0 0\nprocess 4242 1048576\n");
    JsonNode s = notObserved(Map.of("EDGEPPO_NVML_LIBRARY", StandIn.OLD_LIBRARY.toString(),
        "EDGEPPO_NVML_STANDIN_SCRIPT", script.toString()), "no_process_utilization", "nvml");
    assertTrue(s.get("observation").get("why").get(0).asText().contains("nvmlDeviceGetProcessUtilization is missing"), s.toString());
  }

  /** Starts serve, allocates with a pod UID, waits until the reason shows, checks it is counted and POST /feedback works. */
  JsonNode notObserved(Map<String, String> env, String reason, String telemetry) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "serve", "--port", "0", "--telemetry", telemetry, "--backend", "cpu",
        "--observe-period-seconds", "0.02", "--observe-window-seconds", "5", "--proc-root", dir.toString(),
        // No JIT warm-up: on a loaded machine its compilations only slow the start this test does not measure.
        "--config", Files.writeString(dir.resolve("no-warmup.json"), "{\"warmup_max_updates\": 0}").toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("EDGEPPO_NVML_LIBRARY");
    pb.environment().remove("EDGEPPO_NVML_STANDIN_SCRIPT");
    pb.environment().putAll(env);
    Path log = Files.createTempFile(dir, "serve", ".log");
    pb.redirectError(log.toFile());
    Process p = pb.start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      int port = -1;
      Pattern listening = Pattern.compile("listening on .*:(\\d+)$");
      for (String line; port < 0 && (line = out.readLine()) != null; ) {
        Matcher m = listening.matcher(line);
        if (m.find()) port = Integer.parseInt(m.group(1));
      }
      assertTrue(port > 0, () -> "serve did not start: " + read(log));
      String id = call(port, "/allocate", "{\"cores\":50,\"memory\":2000,\"pod_uid\":\"" + POD + "\"}").get("allocation_id").asText();
      JsonNode s = call(port, "/v1/allocations/" + id, null);
      // A hang guard, not a timing check: the first round runs 20 ms after the allocation on a quiet machine.
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (!s.path("observation").path("why").path(0).asText().startsWith("not observed")) {
        assertTrue(System.nanoTime() < end, s::toString);
        Thread.sleep(20);
        s = call(port, "/v1/allocations/" + id, null);
      }
      assertEquals("pending", s.get("status").asText(), s.toString());
      assertFalse(s.has("feedback"));
      String metrics = get(port, "/metrics");
      assertTrue(metrics.contains("edgeppo_observer_skipped_total{reason=\"" + reason + "\"} 1.0"), metrics);
      assertTrue(metrics.contains("edgeppo_observer_self_reported_feedbacks_total 0.0"), metrics);
      // Not observed, but not lost: the pod's own report still counts.
      JsonNode fb = call(port, "/feedback", "{\"allocation_id\":\"" + id + "\",\"actual_usage\":30,\"qos_met\":true,\"pods\":2}");
      assertTrue(fb.has("reward"), fb.toString());
      assertEquals("http", call(port, "/v1/allocations/" + id, null).get("feedback").get("source").asText());
      return s;
    } finally {
      p.destroy();
      p.waitFor(20, TimeUnit.SECONDS);
    }
  }

  JsonNode call(int port, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    b = body == null ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), path + " -> " + r.body());
    return JSON.readTree(r.body());
  }

  String get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
