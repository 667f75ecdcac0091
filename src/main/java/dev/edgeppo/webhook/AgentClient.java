package dev.edgeppo.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Calls a node agent's {@code POST /allocate} (SPEC §4) with a bearer token, bounded by one timeout for
 * connecting and answering, so a slow or absent agent costs the webhook at most that long.
 */
public final class AgentClient {
  private static final ObjectMapper JSON = dev.edgeppo.json.Json.MAPPER;

  private final HttpClient http;
  private final int port;
  private final String token;
  private final Duration timeout;

  public AgentClient(int port, String token, Duration timeout) {
    if (port < 1 || port > 65535) throw new IllegalArgumentException("agent port must be 1..65535, got " + port);
    this.port = port;
    this.token = token;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
  }

  /** The agent's grant. */
  public record Grant(String allocationId, int cores, long memoryMb, int gpuIndex, String gpuUuid) {}

  /**
   * Asks the agent at {@code host} for {@code ask}, naming the pod ({@code ns/name}) and its uid when known.
   * Throws {@link AgentException} for any failure: unreachable, timed out, a non-200 answer or a malformed one.
   */
  public Grant allocate(String host, GpuAsk ask, String pod, String podUid) {
    ObjectNode body = JSON.createObjectNode().put("cores", ask.cores()).put("memory", ask.memoryMb());
    if (pod != null) body.put("pod", pod);
    if (podUid != null && !podUid.isBlank()) body.put("pod_uid", podUid);
    URI uri = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/allocate");
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(timeout)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    if (token != null) req.header("Authorization", "Bearer " + token);
    HttpResponse<String> resp;
    try {
      resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AgentException("agent " + uri + ": " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AgentException("agent " + uri + ": interrupted", e);
    }
    if (resp.statusCode() != 200) {
      throw new AgentException("agent " + uri + " answered " + resp.statusCode() + ": " + abbreviate(resp.body()), null);
    }
    try {
      JsonNode n = JSON.readTree(resp.body());
      JsonNode gpu = n.path("gpu");
      if (!n.path("cores").isIntegralNumber() || !n.path("memory").isIntegralNumber()
          || !n.path("allocation_id").isTextual()) {
        throw new AgentException("agent " + uri + ": answer lacks allocation_id, cores or memory: " + abbreviate(resp.body()), null);
      }
      return new Grant(n.get("allocation_id").asText(), n.get("cores").asInt(), n.get("memory").asLong(),
          gpu.path("index").asInt(0), gpu.path("uuid").isTextual() ? gpu.get("uuid").asText() : null);
    } catch (IOException e) {
      throw new AgentException("agent " + uri + ": answer is not JSON: " + abbreviate(resp.body()), e);
    }
  }

  private static String abbreviate(String s) {
    return s == null ? "" : s.length() <= 200 ? s : s.substring(0, 200) + "…";
  }

  /** The agent could not be asked or did not give a usable answer. */
  public static final class AgentException extends RuntimeException {
    public AgentException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
