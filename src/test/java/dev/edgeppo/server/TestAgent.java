package dev.edgeppo.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.agent.Durability;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.telemetry.Telemetry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The production router and server on a loopback port chosen by the OS, and a client for it. */
final class TestAgent implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  final AgentCore core;
  final AgentServer server;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  String token;

  TestAgent(PpoLearner learner, Telemetry t, AgentOptions o, Durability d, String token) throws IOException {
    core = new AgentCore(learner, t, o, d, 0);
    Router router = new Router(core, new AgentMetrics(core), token, "test telemetry");
    server = AgentServer.start(new InetSocketAddress("127.0.0.1", 0), router, Duration.ofSeconds(10));
    this.token = token;
  }

  URI uri(String path) { return URI.create("http://127.0.0.1:" + server.port() + path); }

  HttpResponse<String> post(String path, byte[] body) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .header("Content-Type", "application/json");
    if (token != null) b.header("Authorization", "Bearer " + token);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
    return post(path, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
    if (token != null) b.header("Authorization", "Bearer " + token);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r) throws IOException { return JSON.readTree(r.body()); }

  JsonNode allocate(int cores, long memory) throws Exception {
    HttpResponse<String> r = post("/allocate", "{\"cores\":" + cores + ",\"memory\":" + memory + "}");
    if (r.statusCode() != 200) throw new AssertionError(r.statusCode() + " " + r.body());
    return json(r);
  }

  JsonNode feedback(String id, double usage, boolean qos, int pods) throws Exception {
    HttpResponse<String> r = post("/feedback", "{\"allocation_id\":\"" + id + "\",\"actual_usage\":" + usage
        + ",\"qos_met\":" + qos + ",\"pods\":" + pods + "}");
    if (r.statusCode() != 200) throw new AssertionError(r.statusCode() + " " + r.body());
    return json(r);
  }

  @Override
  public void close() {
    server.stop(0);
    core.close();
  }
}
