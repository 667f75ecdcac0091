package dev.edgeppo.fleet;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;

/**
 * fabric8's mock API server in CRUD mode (it stores what is written, with resourceVersions, and answers 409
 * to a stale one): a mock, not a kube-apiserver, which cannot be installed on these machines. {@link #stop}
 * and {@link #restart} take it down and bring it back on the same port with the same objects (the dispatcher
 * holds them), as an API server that was unreachable for a while.
 */
final class MockFleetApi implements AutoCloseable {
  static final String NAMESPACE = "edgeppo";
  private final KubernetesCrudDispatcher dispatcher = new KubernetesCrudDispatcher(List.of());
  private KubernetesMockServer server;
  private int port;

  MockFleetApi() throws IOException {
    server = start(0);
    port = server.getPort();
  }

  private KubernetesMockServer start(int p) throws IOException {
    KubernetesMockServer s = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    s.expectCustomResource(new CustomResourceDefinitionContext.Builder().withGroup(FleetNames.GROUP).withVersion(FleetNames.VERSION)
        .withKind(FleetNames.KIND).withPlural(FleetNames.PLURAL).withScope("Namespaced").build());
    s.init(InetAddress.getByName("127.0.0.1"), p);
    return s;
  }

  int port() { return port; }

  /** A fresh client (with the fleet's settings: no retries of its own) on this server. */
  KubernetesClient client() {
    return server.createClient(b -> b.editOrNewConfig().withRequestRetryBackoffLimit(0).withConnectionTimeout(2000)
        .withRequestTimeout(5000).endConfig());
  }

  KubeFleetStore store() { return new KubeFleetStore(client(), NAMESPACE); }

  void stop() { server.destroy(); }

  /** Every request the server received since the last call (method and path with query), oldest first. */
  List<io.fabric8.mockwebserver.http.RecordedRequest> drainRequests() throws InterruptedException {
    List<io.fabric8.mockwebserver.http.RecordedRequest> out = new java.util.ArrayList<>();
    for (io.fabric8.mockwebserver.http.RecordedRequest r; (r = server.takeRequest(0, java.util.concurrent.TimeUnit.MILLISECONDS)) != null; ) out.add(r);
    return out;
  }

  void restart() throws IOException { server = start(port); }

  /** A kubeconfig file that points at this server (for serve processes). */
  Path kubeconfig(Path dir) throws IOException {
    Path f = dir.resolve("kubeconfig");
    Files.writeString(f, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: mock
          cluster:
            server: http://127.0.0.1:%d
        users:
        - name: mock
          user:
            token: mock-token
        contexts:
        - name: mock
          context:
            cluster: mock
            user: mock
            namespace: %s
        current-context: mock
        """.formatted(port, NAMESPACE));
    return f;
  }

  @Override
  public void close() { server.destroy(); }
}
