package dev.edgeppo.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The JDK's own HTTP server on virtual threads, in front of {@link Router}. No dependency to ship or patch
 * on the edge node, and fast enough (see the README's measurements against Helidon SE).
 */
public final class AgentServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;
  private final Router router;

  private AgentServer(HttpServer server, ExecutorService executor, Router router) {
    this.server = server;
    this.executor = executor;
    this.router = router;
  }

  /**
   * Limits of the JDK server are system properties read once, when its first server is made, so they are set
   * here before that: a request must arrive whole within {@code readTimeout}, headers are bounded, small
   * responses are not held back by Nagle's algorithm.
   */
  static synchronized void configureJdkServer(Duration readTimeout) {
    setIfAbsent("sun.net.httpserver.maxReqTime", Long.toString(Math.max(1, readTimeout.toSeconds())));
    setIfAbsent("sun.net.httpserver.maxRspTime", Long.toString(Math.max(1, readTimeout.toSeconds())));
    setIfAbsent("sun.net.httpserver.maxReqHeaders", "64");
    setIfAbsent("sun.net.httpserver.maxReqHeaderSize", Integer.toString(32 * 1024));
    setIfAbsent("sun.net.httpserver.idleInterval", "30");
    setIfAbsent("sun.net.httpserver.nodelay", "true");
    setIfAbsent("jdk.httpserver.maxConnections", "1024");
  }

  private static void setIfAbsent(String k, String v) {
    if (System.getProperty(k) == null) System.setProperty(k, v);
  }

  static AgentServer start(InetSocketAddress bind, Router router, Duration readTimeout) throws IOException {
    configureJdkServer(readTimeout);
    HttpServer s = HttpServer.create(bind, 1024);
    ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor();
    s.setExecutor(ex);
    AgentServer as = new AgentServer(s, ex, router);
    s.createContext("/", as::handle);
    s.start();
    return as;
  }

  public int port() { return server.getAddress().getPort(); }

  public InetSocketAddress address() { return server.getAddress(); }

  private void handle(HttpExchange ex) throws IOException {
    long t0 = System.nanoTime();
    Router.Response resp;
    try (ex) {
      long declared = contentLength(ex.getRequestHeaders().getFirst("Content-Length"));
      boolean tooLarge = declared > Router.MAX_BODY;
      byte[] body = EMPTY;
      if (!tooLarge) {
        InputStream in = ex.getRequestBody();
        // With a declared length, one exact buffer; without (chunked), read at most one byte past the limit.
        body = declared >= 0 ? in.readNBytes((int) declared) : in.readNBytes(Router.MAX_BODY + 1);
        if (body.length > Router.MAX_BODY) {
          tooLarge = true;
          body = EMPTY;
        }
      }
      resp = router.route(new Router.Request(ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
          ex.getRequestHeaders().getFirst("Authorization"), body, tooLarge));
      if (tooLarge) ex.getResponseHeaders().set("Connection", "close");
      ex.getResponseHeaders().set("Content-Type", resp.contentType());
      ex.sendResponseHeaders(resp.status(), resp.body().length == 0 ? -1 : resp.body().length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(resp.body());
      }
    }
    router.metrics().request(resp.endpoint(), resp.status(), System.nanoTime() - t0);
  }

  private static final byte[] EMPTY = new byte[0];

  /** -1 when absent; the JDK server itself refuses a malformed length before the handler runs. */
  private static long contentLength(String header) {
    if (header == null) return -1;
    try {
      return Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Stops accepting and waits up to {@code seconds} for exchanges in flight. */
  public void stop(int seconds) {
    server.stop(seconds);
    executor.shutdown();
  }

  @Override
  public void close() { stop(0); }
}
