package dev.edgeppo.webhook;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;

/**
 * Finds the address of a pinned pod's node from its Node object through the API server: by name for
 * {@code spec.nodeName}, by the {@code kubernetes.io/hostname} label otherwise (exactly one node must carry
 * it). The address is the node's InternalIP, else its ExternalIP, else its Hostname: the agent listens on
 * the node's own address (hostPort, deploy/30-daemonset.yaml).
 */
public final class NodeDirectory {
  private final KubernetesClient client;

  public NodeDirectory(KubernetesClient client) {
    this.client = client;
  }

  /** The node's address, or a {@link LookupException} saying why there is none. */
  public String address(NodePin pin) {
    Node node = switch (pin.kind()) {
      case NODE_NAME -> client.nodes().withName(pin.value()).get();
      case HOSTNAME_LABEL -> {
        List<Node> nodes = client.nodes().withLabel(NodePin.HOSTNAME, pin.value()).list().getItems();
        if (nodes.size() > 1) {
          throw new LookupException(nodes.size() + " nodes carry " + NodePin.HOSTNAME + "=" + pin.value());
        }
        yield nodes.isEmpty() ? null : nodes.getFirst();
      }
    };
    if (node == null) throw new LookupException("no node " + describe(pin));
    return addressOf(node).orElseThrow(() -> new LookupException("node " + node.getMetadata().getName()
        + " reports no InternalIP, ExternalIP or Hostname address"));
  }

  static java.util.Optional<String> addressOf(Node node) {
    if (node.getStatus() == null || node.getStatus().getAddresses() == null) return java.util.Optional.empty();
    List<NodeAddress> addrs = node.getStatus().getAddresses();
    for (String type : List.of("InternalIP", "ExternalIP", "Hostname")) {
      for (NodeAddress a : addrs) {
        if (type.equals(a.getType()) && a.getAddress() != null && !a.getAddress().isBlank()) {
          return java.util.Optional.of(a.getAddress());
        }
      }
    }
    return java.util.Optional.empty();
  }

  private static String describe(NodePin pin) {
    return pin.kind() == NodePin.Kind.NODE_NAME ? "named " + pin.value() : "with " + NodePin.HOSTNAME + "=" + pin.value();
  }

  /** No usable node for the pin. */
  public static final class LookupException extends RuntimeException {
    public LookupException(String message) {
      super(message);
    }
  }
}
