package dev.edgeppo.k8s;

import dev.edgeppo.k8s.kubelet.dra.v1.Claim;
import dev.edgeppo.k8s.kubelet.dra.v1.DRAPluginGrpc;
import dev.edgeppo.k8s.kubelet.dra.v1.NodePrepareResourcesRequest;
import dev.edgeppo.k8s.kubelet.dra.v1.NodePrepareResourcesResponse;
import dev.edgeppo.k8s.kubelet.dra.v1.NodeUnprepareResourcesRequest;
import dev.edgeppo.k8s.kubelet.dra.v1.NodeUnprepareResourcesResponse;
import dev.edgeppo.k8s.kubelet.registration.InfoRequest;
import dev.edgeppo.k8s.kubelet.registration.PluginInfo;
import dev.edgeppo.k8s.kubelet.registration.RegistrationGrpc;
import dev.edgeppo.k8s.kubelet.registration.RegistrationStatus;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Plays the kubelet over real unix sockets, the way its plugin watcher and DRA manager do: find a socket in
 * the registry dir, GetInfo, accept only a "DRAPlugin" that speaks "v1.DRAPlugin" at an absolute endpoint,
 * NotifyRegistrationStatus, then dial that endpoint for NodePrepareResources / NodeUnprepareResources.
 */
final class FakeKubelet implements AutoCloseable {
  /** A bound so a hung plugin fails the test instead of stalling it; generous, since a shared CI machine can be slow. */
  static final long DEADLINE_S = 60;
  private ManagedChannel draChannel;
  private PluginInfo info;

  /** Registers the one plugin socket found in {@code registryDir}; returns what it said about itself. */
  PluginInfo register(Path registryDir) throws IOException {
    Path socket;
    try (Stream<Path> s = Files.list(registryDir)) {
      List<Path> socks = s.filter(p -> p.getFileName().toString().endsWith(".sock")).toList();
      if (socks.size() != 1) throw new IllegalStateException("want one plugin socket in " + registryDir + ", found " + socks);
      socket = socks.getFirst();
    }
    ManagedChannel reg = channel(socket);
    try {
      info = RegistrationGrpc.newBlockingStub(reg).withDeadlineAfter(DEADLINE_S, TimeUnit.SECONDS).getInfo(InfoRequest.getDefaultInstance());
      boolean ok = info.getType().equals("DRAPlugin") && info.getSupportedVersionsList().contains("v1.DRAPlugin")
          && Path.of(info.getEndpoint()).isAbsolute();
      RegistrationGrpc.newBlockingStub(reg).withDeadlineAfter(DEADLINE_S, TimeUnit.SECONDS).notifyRegistrationStatus(RegistrationStatus.newBuilder().setPluginRegistered(ok)
          .setError(ok ? "" : "not a v1 DRA plugin: " + info).build());
      if (!ok) throw new IllegalStateException("the kubelet would refuse " + info);
    } finally {
      shutdown(reg);
    }
    if (draChannel != null) shutdown(draChannel);
    draChannel = channel(Path.of(info.getEndpoint()));
    return info;
  }

  NodePrepareResourcesResponse prepare(Claim... claims) {
    return dra().nodePrepareResources(NodePrepareResourcesRequest.newBuilder().addAllClaims(List.of(claims)).build());
  }

  NodeUnprepareResourcesResponse unprepare(Claim... claims) {
    return dra().nodeUnprepareResources(NodeUnprepareResourcesRequest.newBuilder().addAllClaims(List.of(claims)).build());
  }

  static Claim claim(String namespace, String name, String uid) {
    return Claim.newBuilder().setNamespace(namespace).setName(name).setUid(uid).build();
  }

  private DRAPluginGrpc.DRAPluginBlockingStub dra() {
    if (draChannel == null) throw new IllegalStateException("register first");
    return DRAPluginGrpc.newBlockingStub(draChannel).withDeadlineAfter(DEADLINE_S, TimeUnit.SECONDS);
  }

  private static ManagedChannel channel(Path socket) {
    return Grpc.newChannelBuilder("unix://" + socket.toAbsolutePath(), InsecureChannelCredentials.create()).build();
  }

  private static void shutdown(ManagedChannel ch) {
    ch.shutdownNow();
    try {
      ch.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (draChannel != null) shutdown(draChannel);
  }
}
