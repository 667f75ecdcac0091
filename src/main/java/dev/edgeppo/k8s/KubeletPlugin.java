package dev.edgeppo.k8s;

import dev.edgeppo.telemetry.Telemetry;
import dev.edgeppo.log.Events;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node's DRA driver, running inside {@code serve} (SPEC §5): the DRA service on
 * {@code <plugin dir>/dra.sock}, the registration service on {@code <registry dir>/gpu.edgeppo.dev-reg.sock}
 * (created last, so the kubelet never dials a DRA socket that is not serving yet), and the node's
 * ResourceSlice kept current by a periodic reconcile. {@link #close} removes the registration socket
 * first, which unregisters the plugin, then the DRA socket.
 */
public final class KubeletPlugin implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(KubeletPlugin.class.getName());
  /** How often the ResourceSlice is compared with telemetry: a new or failed GPU shows within this. */
  public static final Duration DEFAULT_SLICE_PERIOD = Duration.ofSeconds(30);

  /**
   * @param slotsPerGpu 0: one shared device per GPU (consumable capacity); K > 0: K slot devices per GPU
   * @param stateDir    where the claim map lives (the agent's state dir)
   * @param kubeconfig  null: in-cluster configuration
   */
  public record Settings(Path pluginDir, Path registryDir, Path cdiDir, String nodeName, Path kubeconfig, Path stateDir,
                         int slotsPerGpu, Duration slicePeriod) {
    public Settings {
      Objects.requireNonNull(pluginDir, "kubelet plugin dir");
      Objects.requireNonNull(registryDir, "kubelet registry dir");
      Objects.requireNonNull(cdiDir, "CDI dir");
      if (nodeName == null || nodeName.isBlank())
        throw new IllegalArgumentException("the DRA driver needs the node's name: --node-name or $NODE_NAME (the downward API's spec.nodeName)");
      if (stateDir == null)
        throw new IllegalArgumentException("the DRA driver needs --state-dir: the claims it prepared must survive a restart");
      if (slotsPerGpu < 0) throw new IllegalArgumentException("slots per GPU must be >= 0, got " + slotsPerGpu);
      pluginDir = pluginDir.toAbsolutePath();
      registryDir = registryDir.toAbsolutePath();
      cdiDir = cdiDir.toAbsolutePath();
      if (slicePeriod == null) slicePeriod = DEFAULT_SLICE_PERIOD;
    }
  }

  private final KubernetesClient client;
  private final UnixSocketServer dra;
  private final UnixSocketServer registration;
  private final RegistrationService registrationService;
  private final ResourceSlicePublisher slices;
  private final PreparedClaims prepared;
  private final ScheduledExecutorService reconciler;
  private boolean closed;

  private KubeletPlugin(KubernetesClient client, UnixSocketServer dra, UnixSocketServer registration,
                        RegistrationService registrationService, ResourceSlicePublisher slices, PreparedClaims prepared,
                        ScheduledExecutorService reconciler) {
    this.client = client;
    this.dra = dra;
    this.registration = registration;
    this.registrationService = registrationService;
    this.slices = slices;
    this.prepared = prepared;
    this.reconciler = reconciler;
  }

  /** Starts serving, with an API client from {@code s.kubeconfig()} (or in-cluster). */
  public static KubeletPlugin start(Settings s, Telemetry telemetry, GrantDecider decider) throws IOException {
    KubernetesClient client = client(s.kubeconfig());
    try {
      return start(s, client, telemetry, decider);
    } catch (IOException | RuntimeException e) {
      client.close();
      throw e;
    }
  }

  /** Starts serving; takes ownership of {@code client} (closed with the plugin). */
  public static KubeletPlugin start(Settings s, KubernetesClient client, Telemetry telemetry, GrantDecider decider) throws IOException {
    PreparedClaims prepared = PreparedClaims.open(s.stateDir());
    CdiSpecs cdi = new CdiSpecs(s.cdiDir());
    DraService service = new DraService(new ClaimReader(client, s.nodeName()), telemetry, decider, cdi, prepared);
    Path draSocket = s.pluginDir().resolve(DraNames.DRA_SOCKET);
    UnixSocketServer dra = UnixSocketServer.start(draSocket, service);
    RegistrationService reg = new RegistrationService(draSocket);
    UnixSocketServer registration;
    try {
      registration = UnixSocketServer.start(s.registryDir().resolve(DraNames.REGISTRATION_SOCKET), reg);
    } catch (IOException e) {
      dra.close();
      throw e;
    }
    ResourceSlicePublisher publisher = new ResourceSlicePublisher(client, telemetry, s.nodeName(), s.slotsPerGpu());
    ScheduledExecutorService reconciler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "edgeppo-resourceslice");
      t.setDaemon(true);
      return t;
    });
    // The first reconcile runs at once but off this thread: an API server that is slow or away at start
    // delays the slice, not the agent.
    reconciler.scheduleWithFixedDelay(publisher::reconcileQuietly, 0, s.slicePeriod().toMillis(), TimeUnit.MILLISECONDS);
    log(Level.INFO, "DRA driver serving", Map.of("driver", DraNames.DRIVER, "dra_socket", draSocket.toString(),
        "registration_socket", registration.socket().toString(), "cdi_dir", cdi.dir().toString(), "node", s.nodeName(),
        "prepared_claims", prepared.size(), "slots_per_gpu", s.slotsPerGpu()));
    return new KubeletPlugin(client, dra, registration, reg, publisher, prepared, reconciler);
  }

  /**
   * A client from a kubeconfig file, or (null) fabric8's auto-configuration, which inside a pod is the
   * in-cluster configuration (service account token and CA, KUBERNETES_SERVICE_HOST).
   */
  public static KubernetesClient client(Path kubeconfig) throws IOException {
    if (kubeconfig == null) return new KubernetesClientBuilder().build();
    String text;
    try {
      text = Files.readString(kubeconfig, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IOException("kubeconfig " + kubeconfig + ": " + e.getMessage(), e);
    }
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(text)).build();
  }

  public Path draSocket() { return dra.socket(); }
  public Path registrationSocket() { return registration.socket(); }
  public RegistrationService.Status registrationStatus() { return registrationService.status(); }
  public ResourceSlicePublisher slices() { return slices; }
  public PreparedClaims prepared() { return prepared; }

  /** The API client the driver reads claims with (closed with the plugin). */
  public KubernetesClient client() { return client; }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    registration.close();
    dra.close();
    reconciler.shutdownNow();
    client.close();
    log(Level.INFO, "DRA driver stopped", Map.of("prepared_claims", prepared.size()));
  }

  private static void log(Level level, String msg, Map<String, ?> fields) { Events.log(LOG, level, msg, fields); }
}
