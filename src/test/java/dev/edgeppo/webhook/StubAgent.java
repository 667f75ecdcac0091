package dev.edgeppo.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * A node agent stand-in: a real HTTP server on a loopback address that answers {@code POST /allocate} with a
 * scripted status and body, or holds the answer until released (a slow agent), and records what it was sent.
 */
final class StubAgent implements AutoCloseable {
  record Seen(String authorization, JsonNode body) {}

  final HttpServer server;
  final List<Seen> seen = new CopyOnWriteArrayList<>();
  volatile int status = 200;
  volatile String body;
  /** While set, every answer waits for it: the agent is slow. */
  volatile CountDownLatch hold;

  StubAgent(String ip, int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress(ip, port), 16);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/allocate", ex -> {
      try (ex) {
        JsonNode req = new ObjectMapper().readTree(ex.getRequestBody());
        seen.add(new Seen(ex.getRequestHeaders().getFirst("Authorization"), req));
        CountDownLatch h = hold;
        if (h != null) h.await();
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream os = ex.getResponseBody()) {
          os.write(b);
        }
      } catch (InterruptedException | IOException e) {
        // the client gave up: nothing to answer
      }
    });
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  /** Answers a grant as SPEC §4 shapes it. */
  StubAgent grants(String id, int cores, long memory, int gpuIndex, String uuid) {
    status = 200;
    body = "{\"allocation_id\":\"" + id + "\",\"cores\":" + cores + ",\"memory\":" + memory
        + ",\"gpu\":{\"index\":" + gpuIndex + ",\"uuid\":\"" + uuid + "\"},\"state\":[0.5,0.1,0.2,0.3,0.1],\"policy_version\":3}";
    return this;
  }

  @Override
  public void close() {
    CountDownLatch h = hold;
    if (h != null) h.countDown();
    server.stop(0);
  }
}
