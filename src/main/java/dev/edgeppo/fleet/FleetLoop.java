package dev.edgeppo.fleet;

import dev.edgeppo.log.Events;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs a {@link FleetMember}'s rounds under {@code serve}: the first at start, inline (a fresh agent serves the
 * fleet's policy from its first request), then every sync period with ±10 % jitter (a thousand agents started
 * together spread their writes). While the store fails the agent learns and serves alone, and retries after
 * 1 s, 2 s, 4 s ... up to four periods, with ±20 % jitter, so a returning API server is not met by every
 * agent at once. One daemon thread; {@link #close} stops it and closes the store.
 */
public final class FleetLoop implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(FleetLoop.class.getName());

  /** Where a failed round is first retried; each further failure doubles it, up to four periods. */
  static final Duration FIRST_RETRY = Duration.ofSeconds(1);

  private final FleetMember member;
  private final FleetStore store;
  private final Duration period;
  private final SplittableRandom jitter;
  private final Thread thread;
  private volatile boolean stopping;
  private int failures;
  /** Milliseconds from the inline first round to the loop's first. */
  private long first;

  private FleetLoop(FleetMember member, FleetStore store, Duration period) {
    this.member = member;
    this.store = store;
    this.period = period;
    this.jitter = new SplittableRandom(member.agent().hashCode());
    this.thread = Thread.ofPlatform().daemon().name("edgeppo-fleet").unstarted(this::loop);
  }

  /** The first round inline (its failure is logged, not thrown: the agent starts alone), then the loop. */
  public static FleetLoop start(FleetMember member, FleetStore store, Duration period) {
    FleetLoop l = new FleetLoop(member, store, period);
    long delay = l.round();
    l.first = delay;
    l.thread.start();
    return l;
  }

  /** The next round after a good one: the period, ±10 % ({@code u} uniform in [0, 1)). */
  static long nextMillis(Duration period, double u) { return Math.round(period.toMillis() * (0.9 + 0.2 * u)); }

  /**
   * The retry after the {@code failures}-th failure in a row: 1 s, 2 s, 4 s … doubling, at most four periods,
   * ±20 % ({@code u} uniform in [0, 1)).
   */
  static long retryMillis(int failures, Duration period, double u) {
    long backoff = Math.min(period.toMillis() * 4, FIRST_RETRY.toMillis() << Math.min(30, Math.max(0, failures - 1)));
    return Math.round(backoff * (0.8 + 0.4 * u));
  }

  /** One round; returns the milliseconds until the next. */
  private long round() {
    try {
      long merges = member.merges();
      member.sync();
      if (failures > 0)
        Events.log(LOG, Level.INFO, "fleet reachable again", Map.of("after_failures", failures, "store", store.describe()));
      failures = 0;
      if (member.merges() > merges)
        Events.log(LOG, Level.INFO, "fleet merge", Map.of("fleet", member.fleet(), "size", member.fleetSize(), "experience", member.experience()));
      return nextMillis(period, jitter.nextDouble());
    } catch (FleetStore.Unavailable e) {
      failures++;
      long delay = retryMillis(failures, period, jitter.nextDouble());
      // Logged at the first failure and then at each doubling, not at every retry.
      if (Integer.bitCount(failures) == 1)
        Events.log(LOG, Level.WARNING, "fleet unreachable; learning and serving alone", Map.of("error", String.valueOf(e.getMessage()),
            "failures", failures, "retry_ms", delay));
      return delay;
    } catch (RuntimeException e) {
      // A bug or a learner that refused the merge: logged, and the next round tries again.
      failures++;
      LOG.log(Level.SEVERE, "fleet round failed", e);
      return period.toMillis();
    }
  }

  private void loop() {
    long delay = first;
    while (!stopping) {
      try {
        Thread.sleep(delay);
      } catch (InterruptedException e) {
        return;
      }
      if (stopping) return;
      delay = round();
    }
  }

  public FleetMember member() { return member; }
  public FleetStore store() { return store; }

  @Override
  public void close() {
    stopping = true;
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    store.close();
  }

  /**
   * A fabric8 client for the fleet: from {@code kubeconfig}, or (null) the in-cluster configuration. It does not
   * retry by itself (the loop's backoff does) and gives up on a call after 10 s, so a slow API server delays a
   * round, never the agent.
   */
  public static io.fabric8.kubernetes.client.KubernetesClient client(Path kubeconfig) throws IOException {
    io.fabric8.kubernetes.client.Config c;
    if (kubeconfig == null) c = io.fabric8.kubernetes.client.Config.autoConfigure(null);
    else {
      try {
        c = io.fabric8.kubernetes.client.Config.fromKubeconfig(Files.readString(kubeconfig, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new IOException("kubeconfig " + kubeconfig + ": " + e.getMessage(), e);
      }
    }
    c.setRequestRetryBackoffLimit(0);
    c.setConnectionTimeout(5_000);
    c.setRequestTimeout(10_000);
    return new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(c).build();
  }

  /** SPEC §7: the fleet's namespace unless given: the pod's own (its service account's), else "edgeppo". */
  public static String defaultNamespace() {
    try {
      String ns = Files.readString(Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace"), StandardCharsets.UTF_8).trim();
      if (!ns.isEmpty()) return ns;
    } catch (IOException | RuntimeException e) {
      // not in a pod
    }
    String env = System.getenv("POD_NAMESPACE");
    return env != null && !env.isBlank() ? env.trim() : "edgeppo";
  }
}
