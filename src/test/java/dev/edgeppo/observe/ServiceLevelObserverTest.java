package dev.edgeppo.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.edgeppo.observe.slo.HttpScraper;
import dev.edgeppo.observe.slo.MetricsEndpoint;
import dev.edgeppo.observe.slo.Objective;
import dev.edgeppo.observe.slo.SloVerdict;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SPEC §5 rule 1 in the observer: a pod's own service level, scraped over real HTTP at each reading,
 * decides {@code qos_met} before the NVML rules; a window whose scrapes failed leaves it to them.
 * The GPU, processes and clock are PodObserverTest's scripted ones.
 */
class ServiceLevelObserverTest {
  static final String A = PodObserverTest.A;

  final PodObserverTest.Clock clock = new PodObserverTest.Clock();
  final PodObserverTest.Gpu gpu = new PodObserverTest.Gpu();
  final PodObserverTest.Procs procs = new PodObserverTest.Procs();
  final PodObserverTest.Sink sink = new PodObserverTest.Sink();
  final PodObserver obs = PodObserver.of(gpu, procs, sink, Duration.ofSeconds(2), Duration.ofSeconds(10), clock, new HttpScraper());
  final AtomicInteger calls = new AtomicInteger();
  HttpServer server;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    // Each scrape: 10 more requests at most 0.1 s and 10 more in (0.1, 0.5].
    server.createContext("/metrics", ex -> {
      int k = calls.getAndIncrement();
      byte[] b = ("# TYPE lat_seconds histogram\n"
          + "lat_seconds_bucket{le=\"0.1\"} " + 10 * k + "\nlat_seconds_bucket{le=\"0.5\"} " + 20 * k + "\n"
          + "lat_seconds_bucket{le=\"1\"} " + 20 * k + "\nlat_seconds_bucket{le=\"+Inf\"} " + 20 * k + "\n").getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, b.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      }
    });
    server.start();
  }

  @AfterEach
  void stop() { server.stop(0); }

  MetricsEndpoint endpoint(String objective) {
    return new MetricsEndpoint(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/metrics"), Objective.parse(objective));
  }

  void rounds(int n) {
    for (int i = 0; i < n; i++) {
      clock.millis += 2000;
      obs.tick();
    }
  }

  /** Pod A on the GPU held at its grant of 60 (asked 100): the NVML rules alone would say throttled. */
  void podAtItsCap(MetricsEndpoint slo) {
    procs.pods.put(10, A);
    procs.alive.add(A);
    obs.observe(new PodObserver.Target("x", A, 0, 60, 4000, 100, slo));
    gpu.run(10, 500, 60);
  }

  @Test
  void aMetServiceLevelOverridesTheCapRule() {
    podAtItsCap(endpoint("lat_seconds:p99<=0.5"));
    rounds(6);
    Verdict v = sink.reported.get("x");
    assertNotNull(v);
    // Six scrapes, five intervals: 50 at most 0.1 s, 100 at most 0.5 s: p99 = 0.1 + 0.4 * 49/50.
    SloVerdict slo = v.slo();
    assertEquals(0.1 + 0.4 * 49 / 50, slo.value(), 1e-12);
    assertEquals(6, slo.scrapes());
    assertTrue(v.qosMet(), "its own service level says served, although it sat at its cap");
    assertTrue(v.why().getFirst().startsWith("service level met"), v.why().toString());
    assertTrue(v.why().stream().anyMatch(w -> w.startsWith("throttled")), "the NVML rules still say what they saw: " + v.why());
    assertEquals(60.0, v.actualUsage(), 1e-12, "usage still comes from NVML");
    assertEquals(6, obs.scrapesTotal());
  }

  @Test
  void aMissedServiceLevelFailsAPodTheNvmlRulesWouldPass() {
    podAtItsCap(endpoint("lat_seconds:p60<=0.1"));
    gpu.run(10, 500, 20); // well below its grant: NVML sees nothing wrong
    rounds(6);
    Verdict v = sink.reported.get("x");
    assertEquals(0.1 + 0.4 * 10 / 50.0, v.slo().value(), 1e-12); // rank 60 of 100: 10 into the second bucket's 50
    assertFalse(v.qosMet());
  }

  @Test
  void aLongWindowKeepsABoundedNumberOfScrapesAndTheSameValue() {
    int readings = PodObserver.MAX_SCRAPES + 40;
    PodObserver longWindow = PodObserver.of(gpu, procs, sink, Duration.ofSeconds(2), Duration.ofSeconds(2L * (readings - 1)), clock,
        new HttpScraper());
    procs.pods.put(10, A);
    procs.alive.add(A);
    longWindow.observe(new PodObserver.Target("long", A, 0, 60, 4000, 100, endpoint("lat_seconds:p99<=0.5")));
    gpu.run(10, 500, 20);
    for (int i = 0; i < readings; i++) {
      clock.millis += 2000;
      longWindow.tick();
    }
    Verdict v = sink.reported.get("long");
    assertNotNull(v);
    // Steady traffic: the window's increases are 10 (k-1) and 20 (k-1) whatever was dropped in between.
    double n = readings - 1;
    assertEquals(0.1 + 0.4 * (0.99 * 20 * n - 10 * n) / (10 * n), v.slo().value(), 1e-9);
    assertEquals(readings, v.slo().scrapes(), "the count is of scrapes taken, not kept");
  }

  @Test
  void scrapesThatFailDecideNothingAndTheNvmlRulesApply() throws IOException {
    int closed;
    try (var s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    podAtItsCap(new MetricsEndpoint(URI.create("http://127.0.0.1:" + closed + "/metrics"), Objective.parse("lat_seconds:p99<=0.5")));
    rounds(6);
    Verdict v = sink.reported.get("x");
    assertFalse(v.slo().decided());
    assertFalse(v.qosMet(), "held at its cap: throttled by the NVML rules");
    assertTrue(v.why().getFirst().contains("undecided (only 0 of 6 scrapes succeeded"), v.why().getFirst());
    assertEquals(6, obs.scrapeFailures("connect"));
  }
}
