package dev.edgeppo.observe.slo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A pod's metrics endpoint played over real HTTP on loopback: the scraper's bounds and the verdicts
 * the judge then gives on what it read.
 */
class HttpScraperTest {
  private HttpServer server;
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger histogramCalls = new AtomicInteger();
  private final AtomicInteger counterCalls = new AtomicInteger();

  /** The histogram's cumulative buckets (le 0.1, 0.5, 1, +Inf) at each scrape; the third after a restart. */
  static final double[][] HISTOGRAM = {{100, 200, 300, 300}, {110, 240, 330, 340}, {5, 20, 30, 30}};
  static final long[] COUNTER = {100, 700, 50};

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/metrics", ex -> {
      double[] c = HISTOGRAM[Math.min(histogramCalls.getAndIncrement(), HISTOGRAM.length - 1)];
      send(ex, 200, "text/plain; version=0.0.4", SloJudgeTest.histogram("vllm:e2e_request_latency_seconds", "model_name=\"m\"", c)
          + "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{model_name=\"m\"} 3\n");
    });
    server.createContext("/om", ex -> {
      long v = COUNTER[Math.min(counterCalls.getAndIncrement(), COUNTER.length - 1)];
      send(ex, 200, "application/openmetrics-text; version=1.0.0; charset=utf-8",
          "# TYPE nv_inference_count counter\nnv_inference_count_total{model=\"r\"} " + v + " # {trace_id=\"t\"} 1\n"
              + "nv_inference_count_created{model=\"r\"} 1.7e9\n# EOF\n");
    });
    server.createContext("/slow", ex -> {
      try {
        release.await(10, TimeUnit.SECONDS); // far beyond the scraper's bound; released at teardown
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      send(ex, 200, "text/plain", "late 1\n");
    });
    server.createContext("/huge", ex -> {
      // 50 MiB, chunked (no Content-Length): only counting the bytes can stop it.
      ex.getResponseHeaders().add("Content-Type", "text/plain");
      ex.sendResponseHeaders(200, 0);
      byte[] line = "filler_metric{a=\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"} 1\n".getBytes(StandardCharsets.UTF_8);
      try (OutputStream out = ex.getResponseBody()) {
        for (long sent = 0; sent < 50L << 20; sent += line.length) out.write(line);
      } catch (IOException clientWentAway) {
        // expected: the scraper drops the connection at its limit
      }
    });
    server.createContext("/declared", ex -> {
      ex.sendResponseHeaders(200, 50L << 20); // says 50 MiB up front
      OutputStream out = ex.getResponseBody();
      try {
        out.write(new byte[1024]);
        out.flush();
        release.await(10, TimeUnit.SECONDS); // the rest never comes: the header alone must decide
      } catch (IOException | InterruptedException ignored) {
        // the scraper refused the body
      }
      ex.close();
    });
    server.createContext("/garbage", ex -> send(ex, 200, "text/plain", "<html><body>Welcome to nginx!</body></html>\n"));
    server.createContext("/error", ex -> send(ex, 503, "text/plain", "overloaded\n"));
    server.start();
  }

  @AfterEach
  void stop() {
    release.countDown();
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }

  private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", type);
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  private MetricsEndpoint endpoint(String path, String objective) {
    return new MetricsEndpoint(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path), Objective.parse(objective));
  }

  private static List<Scrape> window(Scraper s, MetricsEndpoint e, int n) {
    List<Scrape> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(s.scrape(e, 30.0 * i));
    return out;
  }

  @Test
  void histogramOverHttpWithARestartBetweenScrapes() {
    HttpScraper s = new HttpScraper();
    MetricsEndpoint e = endpoint("/metrics", "vllm:e2e_request_latency_seconds:p50<=0.3");
    SloVerdict v = SloJudge.judge(e.objective(), window(s, e, 3));
    // The same buckets as SloJudgeTest: increases 15, 60, 60, 70, the median 0.1 + 0.4 * 20/45.
    assertEquals(0.1 + 0.4 * 20 / 45, v.value(), 1e-12);
    assertEquals(SloVerdict.Outcome.MET, v.outcome());
    assertEquals(3, s.scrapesTotal());
    assertEquals(0L, s.failuresByReason().values().stream().mapToLong(Long::longValue).sum());
  }

  @Test
  void openMetricsCounterOverHttp() {
    HttpScraper s = new HttpScraper();
    MetricsEndpoint e = endpoint("/om", "nv_inference_count:rate>=11");
    SloVerdict v = SloJudge.judge(e.objective(), window(s, e, 3));
    assertEquals(650.0 / 60, v.value(), 1e-12); // 600, then a reset to 50
    assertEquals(SloVerdict.Outcome.MISSED, v.outcome());
  }

  @Test
  void aSlowEndpointIsCutOffAndDecidesNothing() {
    HttpScraper s = new HttpScraper(Duration.ofSeconds(2), HttpScraper.DEFAULT_MAX_BYTES);
    MetricsEndpoint e = endpoint("/slow", "late:rate>=1");
    Scrape one = s.scrape(e, 0);
    assertFalse(one.succeeded());
    assertTrue(one.failure().startsWith("timeout"), one.failure());
    assertEquals(1L, s.failuresByReason().get("timeout"));
    SloVerdict v = SloJudge.judge(e.objective(), List.of(one, Scrape.failed(60, "timeout")));
    assertFalse(v.decided());
    assertTrue(v.reason().contains("only 0 of 2 scrapes succeeded"), v.reason());
  }

  @Test
  void aFiftyMebibyteBodyIsRefusedAtTheLimit() {
    HttpScraper s = new HttpScraper();
    Scrape chunked = s.scrape(endpoint("/huge", "filler_metric:rate>=1"), 0);
    assertFalse(chunked.succeeded());
    assertTrue(chunked.failure().startsWith("too_large"), chunked.failure());
    Scrape declared = s.scrape(endpoint("/declared", "filler_metric:rate>=1"), 0);
    assertTrue(declared.failure().startsWith("too_large"), declared.failure());
    assertEquals(2L, s.failuresByReason().get("too_large"));
  }

  @Test
  void garbageErrorsAndClosedPortsAreFailuresWithReasons() throws IOException {
    HttpScraper s = new HttpScraper();
    Scrape garbage = s.scrape(endpoint("/garbage", "x:rate>=1"), 0);
    assertTrue(garbage.failure().startsWith("malformed: line 1"), garbage.failure());
    Scrape status = s.scrape(endpoint("/error", "x:rate>=1"), 0);
    assertEquals("http_status: HTTP 503", status.failure());
    int closedPort;
    try (var sock = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = sock.getLocalPort();
    }
    Scrape refused = s.scrape(new MetricsEndpoint(URI.create("http://127.0.0.1:" + closedPort + "/metrics"), Objective.parse("x:rate>=1")), 0);
    assertTrue(refused.failure().startsWith("connect"), refused.failure());
    assertEquals(3, s.scrapesTotal());
  }

  @Test
  void urlsAndAnnotationsAreCheckedBeforeAnyScrape() {
    assertEquals(URI.create("http://10.1.2.3:8000/metrics"), MetricsEndpoint.fromAnnotation("8000", "10.1.2.3"));
    assertEquals(URI.create("http://10.1.2.3:8002/v2/metrics"), MetricsEndpoint.fromAnnotation("8002/v2/metrics", "10.1.2.3"));
    assertEquals(URI.create("http://[fd00::5]:8000/metrics"), MetricsEndpoint.fromAnnotation("8000", "fd00::5"));
    for (String bad : new String[] {"https://10.0.0.1:8000/metrics", "http://10.0.0.1/metrics", "file:///etc/passwd", "not a url", "http://u:p@h:1/"}) {
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MetricsEndpoint.parseUrl(bad), bad);
    }
    for (String bad : new String[] {"", "http", "0", "70000/metrics", "80a"}) {
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> MetricsEndpoint.fromAnnotation(bad, "10.0.0.1"), bad);
    }
  }
}
