package dev.edgeppo.k8s;

import dev.edgeppo.log.Events;
import dev.edgeppo.observe.slo.MetricsEndpoint;
import dev.edgeppo.observe.slo.Objective;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A pod's declared service level, read from its annotations on the API server (SPEC §5):
 * {@value #METRICS} {@code "PORT[/PATH]"} and {@value #SLO} {@code OBJECTIVE}. Its {@code status.podIP} is
 * looked up again at each scrape until the pod has one (at prepare time it often has none yet). A malformed
 * annotation is logged once per pod and ignored: the NVML rules judge that pod.
 */
public final class PodServiceLevels {
  public static final String METRICS = "gpu.edgeppo.dev/metrics";
  public static final String SLO = "gpu.edgeppo.dev/slo";
  private static final Logger LOG = Logger.getLogger(PodServiceLevels.class.getName());
  /** Pods whose annotation was already logged as malformed (bounded: a node runs few pods). */
  private static final int MAX_REMEMBERED = 4096;

  private final KubernetesClient client;
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  public PodServiceLevels(KubernetesClient client) { this.client = Objects.requireNonNull(client); }

  /** The pod's endpoint and objective, or null when it declares none, declares one badly, or cannot be read. */
  public MetricsEndpoint of(String namespace, String podName, String podUid) {
    Pod pod;
    try {
      pod = client.pods().inNamespace(namespace).withName(podName).get();
    } catch (RuntimeException e) {
      Events.log(LOG, Level.WARNING, "pod not readable: its service level is not observed",
          Map.of("pod", namespace + "/" + podName, "error", String.valueOf(e.getMessage())));
      return null;
    }
    if (pod == null || pod.getMetadata() == null) return null;
    return fromAnnotations(pod.getMetadata().getAnnotations(), namespace + "/" + podName, podUid, () -> podIp(namespace, podName));
  }

  /**
   * The endpoint the annotations declare; null when they declare none or are malformed (logged once per
   * {@code podUid}). {@code podIp} answers the pod's IP when asked, null while it has none.
   */
  public MetricsEndpoint fromAnnotations(Map<String, String> annotations, String pod, String podUid,
                                         java.util.function.Supplier<String> podIp) {
    if (annotations == null) return null;
    String metrics = annotations.get(METRICS), slo = annotations.get(SLO);
    if (metrics == null && slo == null) return null;
    try {
      if (metrics == null) throw new IllegalArgumentException(SLO + " without " + METRICS);
      if (slo == null) throw new IllegalArgumentException(METRICS + " without " + SLO);
      return MetricsEndpoint.ofPod(metrics, Objective.parse(slo), podIp);
    } catch (IllegalArgumentException e) {
      String key = podUid == null ? pod : podUid;
      if (warned.size() < MAX_REMEMBERED && warned.add(key)) {
        Events.log(LOG, Level.WARNING, "service level annotation ignored", Map.of("pod", pod, "error", e.getMessage()));
      }
      return null;
    }
  }

  private String podIp(String namespace, String podName) {
    Pod p = client.pods().inNamespace(namespace).withName(podName).get();
    return p == null || p.getStatus() == null ? null : p.getStatus().getPodIP();
  }
}
