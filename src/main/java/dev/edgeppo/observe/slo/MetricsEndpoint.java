package dev.edgeppo.observe.slo;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Where a pod publishes its metrics and what it promises (SPEC §4 {@code slo}, SPEC §5 annotations):
 * an {@code http://HOST:PORT/PATH} URL and an {@link Objective}. On the DRA path the pod's IP may be
 * unknown when its claim is prepared: such an endpoint has no {@code url} but the annotation and a
 * lookup of {@code status.podIP}, asked again at each scrape until it answers ({@link #resolve}).
 */
public record MetricsEndpoint(URI url, Objective objective, String annotation, Supplier<String> podIp) {

  public MetricsEndpoint {
    Objects.requireNonNull(objective, "objective");
    if (url != null) checkUrl(url);
    else {
      Objects.requireNonNull(podIp, "a URL or a pod IP lookup");
      fromAnnotation(annotation, "127.0.0.1"); // the annotation's own checks, now rather than at the first scrape
    }
  }

  /** A fixed URL (SPEC §4 {@code slo.metrics_url}). */
  public MetricsEndpoint(URI url, Objective objective) { this(url, objective, null, null); }

  /** The pod's annotation {@code PORT[/PATH]}, its IP looked up when scraping (null while it has none). */
  public static MetricsEndpoint ofPod(String annotation, Objective objective, Supplier<String> podIp) {
    return new MetricsEndpoint(null, objective, annotation, podIp);
  }

  /** The URL to scrape now; null while the pod has no IP. */
  public URI resolve() {
    if (url != null) return url;
    String ip = podIp.get();
    return ip == null || ip.isBlank() ? null : fromAnnotation(annotation, ip.strip());
  }

  /**
   * Reads {@code metrics_url} as /allocate takes it: http only (a pod's endpoint on the node's network),
   * a host and a port, no user info, no fragment; IllegalArgumentException saying what is wrong.
   */
  public static URI parseUrl(String text) {
    if (text == null || text.isBlank()) throw new IllegalArgumentException("metrics_url missing");
    if (text.length() > 2048) throw new IllegalArgumentException("metrics_url longer than 2048 characters");
    URI u;
    try {
      u = new URI(text.strip());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("metrics_url '" + text + "' is not a URL: " + e.getReason());
    }
    checkUrl(u);
    return u;
  }

  /**
   * The URL the annotation {@code gpu.edgeppo.dev/metrics: "PORT[/PATH]"} names on a pod at {@code podIp}
   * (PATH defaults to /metrics).
   */
  public static URI fromAnnotation(String annotation, String podIp) {
    if (annotation == null || annotation.isBlank()) throw new IllegalArgumentException("metrics annotation is empty");
    String a = annotation.strip();
    int slash = a.indexOf('/');
    String port = slash < 0 ? a : a.substring(0, slash);
    String path = slash < 0 ? "/metrics" : a.substring(slash);
    int p;
    try {
      p = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("metrics annotation '" + a + "': expected PORT[/PATH], as in 8000 or 8002/metrics");
    }
    if (p < 1 || p > 65535) throw new IllegalArgumentException("metrics annotation '" + a + "': port out of 1..65535");
    String host = podIp.contains(":") ? "[" + podIp + "]" : podIp; // an IPv6 pod IP
    return parseUrl("http://" + host + ":" + p + path);
  }

  private static void checkUrl(URI u) {
    Objects.requireNonNull(u, "url");
    if (!"http".equalsIgnoreCase(u.getScheme())) throw new IllegalArgumentException("metrics_url must be http://HOST:PORT/PATH, got scheme " + u.getScheme());
    if (u.getHost() == null) throw new IllegalArgumentException("metrics_url '" + u + "' has no host");
    if (u.getPort() < 1) throw new IllegalArgumentException("metrics_url '" + u + "' has no port");
    if (u.getRawUserInfo() != null || u.getRawFragment() != null) throw new IllegalArgumentException("metrics_url '" + u + "' must not carry user info or a fragment");
  }
}
