package dev.edgeppo.observe.slo;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A pod's metrics endpoint played over real HTTP on loopback, for tests that drive a declared service level
 * end to end: {@code /metrics} answers the body for the k-th scrape (k from 1), so counters grow per scrape.
 */
public final class PodMetricsEndpoint implements AutoCloseable {
  private final HttpServer server;
  private final AtomicInteger scrapes = new AtomicInteger();

  private PodMetricsEndpoint(IntFunction<String> bodyAtScrape) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/metrics", ex -> {
      byte[] b = bodyAtScrape.apply(scrapes.incrementAndGet()).getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, b.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      }
    });
    server.start();
  }

  public static PodMetricsEndpoint start(IntFunction<String> bodyAtScrape) throws IOException {
    return new PodMetricsEndpoint(bodyAtScrape);
  }

  public int port() { return server.getAddress().getPort(); }

  /** Scrapes answered so far. */
  public int scrapes() { return scrapes.get(); }

  @Override
  public void close() { server.stop(0); }
}
