package dev.edgeppo.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;

/**
 * The webhook over TLS: {@code POST /mutate} answers AdmissionReview v1 ({@link Admission}), {@code GET
 * /healthz} says it is alive. The JDK's HTTPS server on virtual threads (as the agent's, no server to ship);
 * its key manager reloads a rotated certificate ({@link ReloadingKeyManager}).
 */
public final class WebhookServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(WebhookServer.class.getName());
  private static final ObjectMapper JSON = dev.edgeppo.json.Json.MAPPER;
  /** etcd stores objects up to 1.5 MiB; an AdmissionReview carries the object once (twice on UPDATE). */
  static final int MAX_BODY = 4 * 1024 * 1024;

  private final HttpsServer server;
  private final ExecutorService executor;
  private final Admission admission;

  private WebhookServer(HttpsServer server, ExecutorService executor, Admission admission) {
    this.server = server;
    this.executor = executor;
    this.admission = admission;
  }

  public static WebhookServer start(InetSocketAddress bind, ReloadingKeyManager keys, Admission admission)
      throws IOException, GeneralSecurityException {
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(new KeyManager[] {keys}, null, null);
    HttpsServer s = HttpsServer.create(bind, 256);
    s.setHttpsConfigurator(new HttpsConfigurator(tls));
    ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor();
    s.setExecutor(ex);
    WebhookServer ws = new WebhookServer(s, ex, admission);
    s.createContext("/", ws::handle);
    s.start();
    return ws;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      if (!path.equals("/mutate") || !method.equals("POST")) {
        // Read what the client sent before answering, so that its kept-alive connection stays in step.
        if (readBounded(ex.getRequestBody()) == null) ex.getResponseHeaders().set("Connection", "close");
        if (path.equals("/healthz")) send(ex, 200, "{\"status\":\"ok\"}");
        else if (!path.equals("/mutate")) send(ex, 404, error("no such path " + path + " (POST /mutate, GET /healthz)"));
        else send(ex, 405, error("/mutate takes POST"));
      } else {
        byte[] body = readBounded(ex.getRequestBody());
        if (body == null) {
          send(ex, 413, error("body over " + MAX_BODY + " bytes"));
          return;
        }
        JsonNode review;
        try {
          review = JSON.readTree(body);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
          send(ex, 400, error("body is not JSON: " + e.getOriginalMessage()));
          return;
        }
        try {
          send(ex, 200, admission.review(review).toString());
        } catch (Admission.BadReview e) {
          send(ex, 400, error(e.getMessage()));
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "webhook request failed", e);
    }
  }

  private static byte[] readBounded(InputStream in) throws IOException {
    byte[] b = in.readNBytes(MAX_BODY + 1);
    return b.length > MAX_BODY ? null : b;
  }

  private static String error(String message) {
    return JSON.createObjectNode().put("error", message).toString();
  }

  private static void send(HttpExchange ex, int status, String json) throws IOException {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(b);
    }
  }

  @Override
  public void close() {
    server.stop(1);
    executor.close();
  }
}
