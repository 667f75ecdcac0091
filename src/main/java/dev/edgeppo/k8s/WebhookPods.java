package dev.edgeppo.k8s;

import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.log.Events;
import dev.edgeppo.observe.PodObserver;
import dev.edgeppo.observe.slo.MetricsEndpoint;
import dev.edgeppo.webhook.Admission;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * SPEC §5, webhook pods are observed too: at admission a pod has no uid, so the webhook's patch carries the
 * allocation's id ({@value Admission#ALLOCATION_ID}); this watches the pods bound to this node (field selector
 * {@code spec.nodeName}, one fabric8 informer) and binds a pod carrying one of the agent's allocation ids to
 * that allocation once it exists, with its declared service level (annotations, {@link PodServiceLevels}) and
 * its IP from the informer's cache; a deleted pod ends its observation.
 */
public final class WebhookPods implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(WebhookPods.class.getName());

  private final AgentCore core;
  private final PodServiceLevels levels;
  /** Pod uid -> allocation id, for the pods bound here (removed when the pod goes). */
  private final Map<String, String> bound = new ConcurrentHashMap<>();
  /** Pod uid -> its latest IP as the watch reported it. */
  private final Map<String, String> ips = new ConcurrentHashMap<>();
  private final SharedIndexInformer<Pod> informer;

  private final String nodeName;

  private WebhookPods(KubernetesClient client, String nodeName, AgentCore core, boolean serverSideSelector) {
    this.core = Objects.requireNonNull(core);
    this.nodeName = Objects.requireNonNull(nodeName);
    this.levels = new PodServiceLevels(client);
    var pods = client.pods().inAnyNamespace();
    this.informer = (serverSideSelector ? pods.withField("spec.nodeName", nodeName) : pods).runnableInformer(0);
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override public void onAdd(Pod pod) { seen(pod); }
      @Override public void onUpdate(Pod old, Pod pod) { seen(pod); }
      @Override public void onDelete(Pod pod, boolean finalStateUnknown) { gone(pod); }
    });
    // Not waited for: an API server that is slow to answer must not hold the agent's start (the informer retries).
    informer.start().whenComplete((ok, e) -> {
      if (e != null) Events.log(LOG, Level.WARNING, "watching this node's pods failed; webhook pods are not observed until it recovers",
          Map.of("node", nodeName, "error", String.valueOf(e.getMessage())));
    });
  }

  /** Starts watching this node's pods; closing stops the watch (before the client is closed). */
  public static WebhookPods start(KubernetesClient client, String nodeName, AgentCore core) {
    return new WebhookPods(client, nodeName, core, true);
  }

  /**
   * Watching every pod and keeping this node's here: for fabric8's mock API server, which answers a
   * {@code spec.nodeName} field selector with nothing.
   */
  static WebhookPods startFilteringHere(KubernetesClient client, String nodeName, AgentCore core) {
    return new WebhookPods(client, nodeName, core, false);
  }

  /** Pods bound to an allocation so far and still there. */
  public int bound() { return bound.size(); }

  void seen(Pod pod) {
    if (pod.getMetadata() == null || pod.getMetadata().getUid() == null) return;
    if (pod.getSpec() == null || !nodeName.equals(pod.getSpec().getNodeName())) return; // another node's pod
    String uid = pod.getMetadata().getUid();
    if (pod.getStatus() != null && pod.getStatus().getPodIP() != null) ips.put(uid, pod.getStatus().getPodIP());
    Map<String, String> ann = pod.getMetadata().getAnnotations();
    String id = ann == null ? null : ann.get(Admission.ALLOCATION_ID);
    if (id == null || bound.containsKey(uid)) return;
    String name = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    MetricsEndpoint slo = levels.fromAnnotations(ann, name, uid, () -> ips.get(uid));
    if (core.bindPod(id, uid, slo)) {
      bound.put(uid, id);
      Events.log(LOG, Level.INFO, "webhook pod bound", Map.of("pod", name, "pod_uid", uid, "allocation_id", id,
          "slo", slo == null ? "none" : slo.objective().text()));
    }
  }

  void gone(Pod pod) {
    if (pod.getMetadata() == null || pod.getMetadata().getUid() == null) return;
    String uid = pod.getMetadata().getUid();
    ips.remove(uid);
    String id = bound.remove(uid);
    PodObserver o = core.observer();
    if (id != null && o != null) o.podEnded(id);
  }

  @Override
  public void close() { informer.close(); }
}
