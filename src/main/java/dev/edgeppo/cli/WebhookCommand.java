package dev.edgeppo.cli;

import dev.edgeppo.webhook.Admission;
import dev.edgeppo.webhook.AgentClient;
import dev.edgeppo.webhook.NodeDirectory;
import dev.edgeppo.webhook.ReloadingKeyManager;
import dev.edgeppo.webhook.WebhookServer;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code edgeppo webhook} (SPEC §3, §5): the mutating admission webhook for pods pinned to a node. Each flag
 * is also an {@code EDGEPPO_*} variable. The node lookup and the agent call each get {@code
 * --agent-timeout-ms}, so the answer comes well within the configuration's {@code timeoutSeconds}.
 */
@Command(name = "webhook", mixinStandardHelpOptions = true,
    description = {"Admission webhook (AdmissionReview v1 over TLS, POST /mutate): pods pinned to a node and "
        + "annotated gpu.edgeppo.dev/cores and gpu.edgeppo.dev/memory get that node's agent's limits as env vars.",
        "Each option is also EDGEPPO_<NAME> in the environment."})
public final class WebhookCommand implements Callable<Integer> {
  @CommandLine.Option(names = "--port", defaultValue = "${env:EDGEPPO_WEBHOOK_PORT:-8443}", description = "HTTPS port (default ${DEFAULT-VALUE})")
  int port;

  @CommandLine.Option(names = "--bind", defaultValue = "${env:EDGEPPO_WEBHOOK_BIND:-0.0.0.0}", description = "address to listen on (default ${DEFAULT-VALUE})")
  String bind;

  @CommandLine.Option(names = "--tls-cert", defaultValue = "${env:EDGEPPO_TLS_CERT}", paramLabel = "FILE",
      description = "PEM certificate chain, reloaded when it changes")
  Path tlsCert;

  @CommandLine.Option(names = "--tls-key", defaultValue = "${env:EDGEPPO_TLS_KEY}", paramLabel = "FILE",
      description = "PEM private key (PKCS#8, PKCS#1 or SEC1), reloaded when it changes")
  Path tlsKey;

  @CommandLine.Option(names = "--agent-port", defaultValue = "${env:EDGEPPO_AGENT_PORT:-8080}", description = "the agents' port on their node (default ${DEFAULT-VALUE})")
  int agentPort;

  @CommandLine.Option(names = "--agent-token-file", defaultValue = "${env:EDGEPPO_AGENT_TOKEN_FILE}", paramLabel = "FILE",
      description = "bearer token for the agents (their --token-file)")
  Path agentTokenFile;

  @CommandLine.Option(names = "--agent-timeout-ms", defaultValue = "${env:EDGEPPO_AGENT_TIMEOUT_MS:-1500}",
      description = "bound on the node lookup and on the agent call, each (default ${DEFAULT-VALUE})")
  long agentTimeoutMs;

  @CommandLine.Option(names = "--kubeconfig", defaultValue = "${env:EDGEPPO_KUBECONFIG}", paramLabel = "FILE",
      description = "kubeconfig (default: the in-cluster configuration)")
  Path kubeconfig;

  @Override
  public Integer call() throws Exception {
    if (tlsCert == null || tlsKey == null) throw new CommandLine.ParameterException(new CommandLine(this), "--tls-cert and --tls-key are required");
    if (agentTimeoutMs < 100 || agentTimeoutMs > 10_000) throw new IllegalArgumentException("--agent-timeout-ms must be 100..10000");
    LogSetup.configure("text", "info");
    String token = agentTokenFile == null ? null : ServeAccess.readToken(agentTokenFile, msg -> java.util.logging.Logger.getLogger(WebhookCommand.class.getName()).warning(msg));
    ReloadingKeyManager keys = new ReloadingKeyManager(tlsCert, tlsKey);
    KubernetesClient kube = kubernetes(kubeconfig, Duration.ofMillis(agentTimeoutMs));
    Admission admission = new Admission(new NodeDirectory(kube), new AgentClient(agentPort, token, Duration.ofMillis(agentTimeoutMs)));
    WebhookServer server = WebhookServer.start(new InetSocketAddress(bind, port), keys, admission);
    System.out.println("edgeppo webhook listening on " + bind + ":" + server.port());
    System.out.flush();
    CountDownLatch stopped = new CountDownLatch(1);
    Signals.onTermination(() -> {
      server.close();
      kube.close();
      stopped.countDown();
      System.exit(0);
    });
    stopped.await();
    return 0;
  }

  /** A client whose every request gives up after {@code timeout}, without retries: admission is on a deadline. */
  static KubernetesClient kubernetes(Path kubeconfig, Duration timeout) {
    Config config = kubeconfig == null ? Config.autoConfigure(null) : Config.fromKubeconfig(kubeconfig.toFile());
    config.setRequestTimeout((int) timeout.toMillis());
    config.setConnectionTimeout((int) timeout.toMillis());
    config.setRequestRetryBackoffLimit(0);
    return new KubernetesClientBuilder().withConfig(config).build();
  }
}
