package dev.edgeppo.k8s;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaim;
import io.fabric8.kubernetes.api.model.resource.v1.ResourceClaimBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * fabric8's mock API server in CRUD mode (it stores what is written and serves it back): a mock, not a
 * kube-apiserver, which cannot be installed on these machines. Claims are written the way the scheduler
 * leaves them: allocated (status.allocation) and reserved for their pod (status.reservedFor).
 */
final class MockApi implements AutoCloseable {
  static final String NODE = "edge-1";

  final KubernetesMockServer server;
  final KubernetesClient client;

  MockApi() {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(List.of()), false);
    server.init();
    client = server.createClient();
  }

  /** A new client on the same server (the plugin closes the one it is given). */
  KubernetesClient newClient() { return server.createClient(); }

  /**
   * {@code serve} as the node's DRA driver against this server, its state, plugin, registry and CDI folders
   * under {@code dir}, on the simulated telemetry and the CPU backend with the default hyperparameters.
   */
  dev.edgeppo.server.AgentRuntime startServeWithDra(java.nio.file.Path dir) throws Exception {
    java.nio.file.Path kubeconfig = writeKubeconfig(dir.resolve("kubeconfig"));
    KubeletPlugin.Settings dra = new KubeletPlugin.Settings(dir.resolve("plugins/gpu.edgeppo.dev"), dir.resolve("registry"),
        dir.resolve("cdi"), NODE, kubeconfig, dir.resolve("state"), 0, java.time.Duration.ofHours(1));
    return dev.edgeppo.server.AgentRuntime.start(new dev.edgeppo.server.AgentRuntime.Settings("127.0.0.1", 0, dir.resolve("state"), null,
        dev.edgeppo.ppo.Hyperparameters.defaults(), dev.edgeppo.agent.AgentOptions.defaults(), java.time.Duration.ofSeconds(10), "sim", "cpu",
        dev.edgeppo.observe.ObserveSettings.DEFAULTS, dra));
  }

  /** A kubeconfig file naming this server, as an operator would hand one to {@code serve --kubeconfig}. */
  java.nio.file.Path writeKubeconfig(java.nio.file.Path file) throws java.io.IOException {
    return java.nio.file.Files.writeString(file, """
        apiVersion: v1
        kind: Config
        clusters: [{name: mock, cluster: {server: "%s"}}]
        users: [{name: agent, user: {token: test-token}}]
        contexts: [{name: mock, context: {cluster: mock, user: agent}}]
        current-context: mock
        """.formatted(client.getConfiguration().getMasterUrl()));
  }

  /**
   * An allocated claim, as created (the server gives it its uid); {@code capacity} is the scheduler's booking
   * (cores, memory), {@code config} the opaque parameters, either may be null.
   */
  ResourceClaim claim(String name, String driver, String device, Map<String, String> capacity,
                      Map<String, Object> config, String podName, String podUid) {
    Map<String, Quantity> booked = null;
    if (capacity != null) {
      booked = new LinkedHashMap<>();
      for (var e : capacity.entrySet()) booked.put(e.getKey(), new Quantity(e.getValue()));
    }
    var b = new ResourceClaimBuilder()
        .withNewMetadata().withNamespace("default").withName(name).endMetadata()
        .withNewSpec().withNewDevices().addNewRequest().withName("gpu").withNewExactly().withDeviceClassName("edgeppo-gpu")
        .endExactly().endRequest().endDevices().endSpec()
        .withNewStatus()
        .withNewAllocation().withNewDevices()
        .addNewResult().withDriver(driver).withPool(NODE).withDevice(device).withRequest("gpu").withConsumedCapacity(booked)
        .withShareID(capacity == null ? null : "share-" + name).endResult();
    if (config != null)
      b = b.addNewConfig().withSource("FromClaim").withRequests("gpu").withNewOpaque().withDriver(DraNames.DRIVER)
          .withParameters(config).endOpaque().endConfig();
    ResourceClaim c = b.endDevices().endAllocation()
        .addNewReservedFor().withResource("pods").withName(podName).withUid(podUid).endReservedFor()
        .endStatus().build();
    return client.resource(c).create();
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
