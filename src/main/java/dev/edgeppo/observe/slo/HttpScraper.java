package dev.edgeppo.observe.slo;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Scrapes a pod's metrics over plain HTTP/1.1, bounded (SPEC §5): the whole exchange, connect to last
 * byte, within {@link #DEFAULT_TIMEOUT}, and at most {@link #DEFAULT_MAX_BYTES} of body, counted as they
 * arrive: a larger body is cut off there (the connection dropped), never buffered whole. No redirects
 * (a pod's endpoint answers itself). Counts scrapes and failures by reason for /metrics.
 */
public final class HttpScraper implements Scraper {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
  public static final int DEFAULT_MAX_BYTES = 4 << 20;

  /** The reasons a scrape fails, as metric labels. */
  public static final List<String> FAILURE_REASONS = List.of("timeout", "too_large", "connect", "http_status", "malformed", "io", "no_pod_ip");

  private final HttpClient client;
  private final Duration timeout;
  private final int maxBytes;
  private final LongAdder scrapes = new LongAdder();
  private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();

  public HttpScraper() { this(DEFAULT_TIMEOUT, DEFAULT_MAX_BYTES); }

  public HttpScraper(Duration timeout, int maxBytes) {
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("scrape timeout must be positive");
    if (maxBytes < 1) throw new IllegalArgumentException("scrape body limit must be positive");
    this.timeout = timeout;
    this.maxBytes = maxBytes;
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(timeout).build();
    for (String r : FAILURE_REASONS) failures.put(r, new LongAdder());
  }

  @Override
  public Scrape scrape(MetricsEndpoint endpoint, double atSeconds) {
    scrapes.increment();
    String failure = null;
    String detail = null;
    java.net.URI url;
    try {
      url = endpoint.resolve();
    } catch (RuntimeException e) { // the API server could not be asked, or gave an IP that makes no URL
      url = null;
      detail = e.getMessage();
    }
    if (url == null) {
      failures.get("no_pod_ip").increment();
      return Scrape.failed(atSeconds, "no_pod_ip" + (detail == null ? ": the pod has no IP yet" : ": " + detail));
    }
    HttpRequest req = HttpRequest.newBuilder(url).timeout(timeout).GET()
        .header("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5").build();
    CompletableFuture<HttpResponse<byte[]>> f = client.sendAsync(req, info -> bounded(info));
    try {
      HttpResponse<byte[]> resp = f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      if (resp.statusCode() != 200) {
        failure = "http_status";
        detail = "HTTP " + resp.statusCode();
      } else {
        String body = new String(resp.body(), StandardCharsets.UTF_8);
        try {
          return Scrape.ok(atSeconds, ExpositionParser.parse(body, endpoint.objective()));
        } catch (MalformedMetricsException e) {
          failure = "malformed";
          detail = e.getMessage();
        }
      }
    } catch (TimeoutException e) {
      f.cancel(true);
      failure = "timeout";
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      failure = "io";
      detail = "interrupted";
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof TooLarge) failure = "too_large";
      else if (c instanceof HttpConnectTimeoutException || c instanceof HttpTimeoutException) failure = "timeout";
      else if (c instanceof java.net.ConnectException) failure = "connect";
      else {
        failure = "io";
        detail = String.valueOf(c);
      }
    }
    failures.get(failure).increment();
    return Scrape.failed(atSeconds, detail == null ? failure : failure + ": " + detail);
  }

  public long scrapesTotal() { return scrapes.sum(); }

  /** Failures by reason ({@link #FAILURE_REASONS}). */
  public Map<String, Long> failuresByReason() {
    Map<String, Long> out = new TreeMap<>();
    failures.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** Refuses a declared Content-Length over the limit at once; otherwise counts bytes as they come. */
  private HttpResponse.BodySubscriber<byte[]> bounded(HttpResponse.ResponseInfo info) {
    long declared = info.headers().firstValueAsLong("content-length").orElse(-1);
    return new Capped(maxBytes, declared > maxBytes);
  }

  /** The body exceeded the limit. */
  static final class TooLarge extends IOException {
    TooLarge(int max) { super("body over " + max + " bytes", null); }
  }

  /** Collects at most {@code max} bytes; one byte more cancels the download. */
  private static final class Capped implements HttpResponse.BodySubscriber<byte[]> {
    private final int max;
    private final boolean refuse;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private Flow.Subscription subscription;
    private byte[] buf = new byte[8192];
    private int size;

    Capped(int max, boolean refuse) {
      this.max = max;
      this.refuse = refuse;
    }

    @Override public CompletionStage<byte[]> getBody() { return result; }

    @Override public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      // A declared length over the limit fails at once; the first bytes then cancel the download.
      if (refuse) result.completeExceptionally(new TooLarge(max));
      s.request(1);
    }

    @Override public void onNext(List<ByteBuffer> items) {
      if (result.isDone()) {
        subscription.cancel();
        return;
      }
      for (ByteBuffer b : items) {
        int n = b.remaining();
        if ((long) size + n > max) {
          subscription.cancel();
          buf = null;
          result.completeExceptionally(new TooLarge(max));
          return;
        }
        if (size + n > buf.length) buf = java.util.Arrays.copyOf(buf, Math.min(max, Math.max(size + n, buf.length * 2)));
        b.get(buf, size, n);
        size += n;
      }
      subscription.request(1);
    }

    @Override public void onError(Throwable t) { result.completeExceptionally(t); }

    @Override public void onComplete() { if (!result.isDone()) result.complete(java.util.Arrays.copyOf(buf, size)); }
  }
}
