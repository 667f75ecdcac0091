package dev.edgeppo.k8s;

import dev.edgeppo.k8s.kubelet.registration.InfoRequest;
import dev.edgeppo.k8s.kubelet.registration.PluginInfo;
import dev.edgeppo.k8s.kubelet.registration.RegistrationGrpc;
import dev.edgeppo.k8s.kubelet.registration.RegistrationStatus;
import dev.edgeppo.k8s.kubelet.registration.RegistrationStatusResponse;
import dev.edgeppo.log.Events;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The kubelet's plugin registration ({@code pluginregistration/v1}): the kubelet finds our socket in its
 * registry directory, asks who we are, and tells us whether it took us. The kubelet registers a DRA plugin
 * only for type "DRAPlugin" with "v1.DRAPlugin" among the versions, and dials the endpoint as given, so it
 * is the absolute path of the DRA socket (the same path on the host and in the agent's container).
 */
public final class RegistrationService extends RegistrationGrpc.RegistrationImplBase {
  private static final Logger LOG = Logger.getLogger(RegistrationService.class.getName());

  /** What the kubelet last said; {@code registered} is null until it has said anything. */
  public record Status(Boolean registered, String error) {}

  private final PluginInfo info;
  private volatile Status status = new Status(null, "");

  public RegistrationService(Path draSocket) {
    if (!draSocket.isAbsolute()) throw new IllegalArgumentException("the DRA endpoint must be an absolute path, got " + draSocket);
    this.info = PluginInfo.newBuilder().setType(DraNames.PLUGIN_TYPE).setName(DraNames.DRIVER).setEndpoint(draSocket.toString())
        .addSupportedVersions(DraNames.SERVICE_VERSION).build();
  }

  public PluginInfo info() { return info; }

  public Status status() { return status; }

  @Override
  public void getInfo(InfoRequest req, StreamObserver<PluginInfo> out) {
    out.onNext(info);
    out.onCompleted();
  }

  @Override
  public void notifyRegistrationStatus(RegistrationStatus req, StreamObserver<RegistrationStatusResponse> out) {
    status = new Status(req.getPluginRegistered(), req.getError());
    Events.log(LOG, req.getPluginRegistered() ? Level.INFO : Level.SEVERE,
        req.getPluginRegistered() ? "registered with the kubelet" : "the kubelet refused the registration",
        Map.of("driver", DraNames.DRIVER, "endpoint", info.getEndpoint(), "error", req.getError()));
    out.onNext(RegistrationStatusResponse.getDefaultInstance());
    out.onCompleted();
  }
}
