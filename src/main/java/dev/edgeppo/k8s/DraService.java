package dev.edgeppo.k8s;

import dev.edgeppo.k8s.kubelet.dra.v1.Claim;
import dev.edgeppo.k8s.kubelet.dra.v1.DRAPluginGrpc;
import dev.edgeppo.k8s.kubelet.dra.v1.Device;
import dev.edgeppo.k8s.kubelet.dra.v1.NodePrepareResourceResponse;
import dev.edgeppo.k8s.kubelet.dra.v1.NodePrepareResourcesRequest;
import dev.edgeppo.k8s.kubelet.dra.v1.NodePrepareResourcesResponse;
import dev.edgeppo.k8s.kubelet.dra.v1.NodeUnprepareResourceResponse;
import dev.edgeppo.k8s.kubelet.dra.v1.NodeUnprepareResourcesRequest;
import dev.edgeppo.k8s.kubelet.dra.v1.NodeUnprepareResourcesResponse;
import dev.edgeppo.telemetry.GpuSnapshot;
import dev.edgeppo.telemetry.Telemetry;
import dev.edgeppo.telemetry.TelemetryException;
import dev.edgeppo.log.Events;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The kubelet's DRA plugin service (driver.go in the reference drivers): prepares and unprepares batches of
 * claims, one answer per claim. A problem with one claim is that claim's {@code error}; the call itself
 * never fails, so the kubelet keeps every other claim's answer.
 *
 * <p>Prepare: a claim already in the durable map gets the same answer again (the kubelet retries; no second
 * allocation). Otherwise the claim is read from the API server, the policy decides the grant (capped at the
 * ask; when the decision fails the pod gets its ask, never nothing), the CDI spec is written, and the map
 * records the claim durably before the answer goes out. Unprepare: removes the CDI spec, ends the
 * allocation, forgets the claim; a claim never prepared, or already unprepared, succeeds.
 */
public final class DraService extends DRAPluginGrpc.DRAPluginImplBase {
  private static final Logger LOG = Logger.getLogger(DraService.class.getName());

  private final ClaimReader claims;
  private final Telemetry telemetry;
  private final GrantDecider decider;
  private final CdiSpecs cdi;
  private final PreparedClaims prepared;
  /** One prepare or unprepare of a claim at a time: a retry racing its original must not allocate twice. */
  private final Object lock = new Object();

  public DraService(ClaimReader claims, Telemetry telemetry, GrantDecider decider, CdiSpecs cdi, PreparedClaims prepared) {
    this.claims = Objects.requireNonNull(claims);
    this.telemetry = Objects.requireNonNull(telemetry);
    this.decider = Objects.requireNonNull(decider);
    this.cdi = Objects.requireNonNull(cdi);
    this.prepared = Objects.requireNonNull(prepared);
  }

  @Override
  public void nodePrepareResources(NodePrepareResourcesRequest req, StreamObserver<NodePrepareResourcesResponse> out) {
    NodePrepareResourcesResponse.Builder resp = NodePrepareResourcesResponse.newBuilder();
    for (Claim c : req.getClaimsList()) resp.putClaims(c.getUid(), prepare(c));
    out.onNext(resp.build());
    out.onCompleted();
  }

  @Override
  public void nodeUnprepareResources(NodeUnprepareResourcesRequest req, StreamObserver<NodeUnprepareResourcesResponse> out) {
    NodeUnprepareResourcesResponse.Builder resp = NodeUnprepareResourcesResponse.newBuilder();
    for (Claim c : req.getClaimsList()) resp.putClaims(c.getUid(), unprepare(c));
    out.onNext(resp.build());
    out.onCompleted();
  }

  /** One claim's preparation; never throws. */
  NodePrepareResourceResponse prepare(Claim c) {
    String id = c.getNamespace() + "/" + c.getName();
    try {
      PreparedClaim done = prepared.get(c.getUid());
      if (done != null) return answer(done);
      Map<Integer, Long> totals = gpuTotals();
      // Read outside the lock: the API call is the slow part and changes nothing here.
      ClaimAsk ask = claims.read(c.getNamespace(), c.getName(), c.getUid(), totals::get);
      if (!totals.isEmpty() && !totals.containsKey(ask.gpuIndex()))
        throw new ClaimException("ResourceClaim " + id + ": GPU " + ask.gpuIndex() + " (device " + ask.device() + ") is not on this node now");
      synchronized (lock) {
        done = prepared.get(c.getUid());
        if (done != null) return answer(done);
        PreparedClaim p = decide(ask);
        cdi.write(p.uid(), p.cores(), p.memoryMib());
        prepared.put(p);
        log(Level.INFO, "claim prepared", Map.of("claim", id, "uid", p.uid(), "pod_uid", String.valueOf(p.podUid()),
            "device", p.device(), "asked_cores", p.askedCores(), "asked_memory_mib", p.askedMemoryMib(), "cores", p.cores(),
            "memory_mib", p.memoryMib(), "decided_by", p.decidedBy(), "allocation_id", String.valueOf(p.allocationId())));
        return answer(p);
      }
    } catch (ClaimException e) {
      log(Level.WARNING, "claim not prepared", Map.of("claim", id, "uid", c.getUid(), "error", e.getMessage()));
      return NodePrepareResourceResponse.newBuilder().setError(e.getMessage()).build();
    } catch (KubernetesClientException e) {
      String msg = "reading ResourceClaim " + id + " from the API server failed: " + e.getMessage();
      log(Level.WARNING, "claim not prepared", Map.of("claim", id, "uid", c.getUid(), "error", msg));
      return NodePrepareResourceResponse.newBuilder().setError(msg).build();
    } catch (IOException | RuntimeException e) {
      String msg = "preparing ResourceClaim " + id + " failed: " + e;
      LOG.log(Level.SEVERE, msg, e);
      return NodePrepareResourceResponse.newBuilder().setError(msg).build();
    }
  }

  /** The policy's grant, capped at the ask; the ask itself when the policy cannot answer (failure policy). */
  private PreparedClaim decide(ClaimAsk ask) {
    String allocationId = null, by = "policy";
    int cores = ask.cores();
    long memory = ask.memoryMib();
    try {
      GrantDecider.Grant g = decider.decide(ask);
      allocationId = g.allocationId();
      cores = Math.max(1, Math.min(g.cores(), ask.cores()));
      memory = Math.max(1, Math.min(g.memoryMib(), ask.memoryMib()));
    } catch (RuntimeException e) {
      by = "ask granted as is: the policy could not decide (" + e.getMessage() + ")";
      log(Level.WARNING, "policy could not decide; the pod gets its ask", Map.of("claim", ask.namespace() + "/" + ask.name(),
          "error", String.valueOf(e.getMessage())));
    }
    return new PreparedClaim(ask.uid(), ask.namespace(), ask.name(), ask.podUid(), ask.pool(), ask.device(), ask.request(),
        ask.shareId(), ask.gpuIndex(), allocationId, cores, memory, ask.cores(), ask.memoryMib(), by);
  }

  /** One claim's unpreparation; never throws. */
  NodeUnprepareResourceResponse unprepare(Claim c) {
    String id = c.getNamespace() + "/" + c.getName();
    try {
      synchronized (lock) {
        PreparedClaim p = prepared.get(c.getUid());
        // Removed even when the map does not know the claim: a crash may have come between writing the
        // spec and recording the claim.
        cdi.remove(c.getUid());
        if (p == null) return NodeUnprepareResourceResponse.getDefaultInstance();
        if (p.allocationId() != null) {
          try {
            decider.ended(p.allocationId(), p.podUid());
          } catch (RuntimeException e) {
            // The claim is gone either way: a failed ending must not pin it on the node.
            log(Level.WARNING, "ending the allocation's observation failed", Map.of("claim", id, "allocation_id", p.allocationId(),
                "error", String.valueOf(e.getMessage())));
          }
        }
        prepared.remove(c.getUid());
        log(Level.INFO, "claim unprepared", Map.of("claim", id, "uid", c.getUid(), "allocation_id", String.valueOf(p.allocationId())));
        return NodeUnprepareResourceResponse.getDefaultInstance();
      }
    } catch (IOException | RuntimeException e) {
      String msg = "unpreparing ResourceClaim " + id + " failed: " + e;
      LOG.log(Level.SEVERE, msg, e);
      return NodeUnprepareResourceResponse.newBuilder().setError(msg).build();
    }
  }

  private static NodePrepareResourceResponse answer(PreparedClaim p) {
    Device.Builder d = Device.newBuilder().setPoolName(p.pool()).setDeviceName(p.device())
        .addCdiDeviceIds(DraNames.NVIDIA_CDI_KIND + "=" + p.gpuIndex())
        .addCdiDeviceIds(CdiSpecs.deviceId(p.uid()));
    if (p.request() != null && !p.request().isEmpty()) d.addRequestNames(p.request());
    if (p.shareId() != null && !p.shareId().isEmpty()) d.setShareId(p.shareId());
    return NodePrepareResourceResponse.newBuilder().addDevices(d).build();
  }

  /** Total MiB per GPU index now; empty when telemetry fails (checks that need it are then skipped). */
  private Map<Integer, Long> gpuTotals() {
    Map<Integer, Long> m = new HashMap<>();
    try {
      List<GpuSnapshot> gpus = telemetry.read();
      for (GpuSnapshot g : gpus) if (g.memoryTotalMib() != null) m.put(g.index(), g.memoryTotalMib());
    } catch (TelemetryException e) {
      log(Level.WARNING, "telemetry failed; claims are checked without the GPUs' memory", Map.of("error", String.valueOf(e.getMessage())));
    }
    return m;
  }

  private static void log(Level level, String msg, Map<String, ?> fields) { Events.log(LOG, level, msg, fields); }
}
