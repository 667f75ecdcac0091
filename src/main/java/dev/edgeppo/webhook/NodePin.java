package dev.edgeppo.webhook;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The one node a pod is pinned to at admission, if any (SPEC §5): its {@code spec.nodeName}, else a
 * {@value #HOSTNAME} nodeSelector, else a required node affinity whose every term allows exactly one and the
 * same hostname. A hostname label is not a node name (it usually is, but need not be), so the pin says which
 * of the two it holds.
 */
public record NodePin(Kind kind, String value) {
  public static final String HOSTNAME = "kubernetes.io/hostname";

  public enum Kind { NODE_NAME, HOSTNAME_LABEL }

  public static Optional<NodePin> of(PodSpec spec) {
    if (spec == null) return Optional.empty();
    if (spec.getNodeName() != null && !spec.getNodeName().isBlank()) {
      return Optional.of(new NodePin(Kind.NODE_NAME, spec.getNodeName()));
    }
    if (spec.getNodeSelector() != null && spec.getNodeSelector().get(HOSTNAME) != null) {
      return Optional.of(new NodePin(Kind.HOSTNAME_LABEL, spec.getNodeSelector().get(HOSTNAME)));
    }
    return requiredAffinityHostname(spec.getAffinity()).map(h -> new NodePin(Kind.HOSTNAME_LABEL, h));
  }

  /**
   * Terms of a required node affinity are ORed, the expressions in a term ANDed: the pod is pinned when every
   * term has a {@code kubernetes.io/hostname In [one value]} expression and all terms name the same value.
   */
  private static Optional<String> requiredAffinityHostname(Affinity affinity) {
    if (affinity == null || affinity.getNodeAffinity() == null) return Optional.empty();
    NodeSelector required = affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
    if (required == null || required.getNodeSelectorTerms() == null || required.getNodeSelectorTerms().isEmpty()) {
      return Optional.empty();
    }
    Set<String> names = new HashSet<>();
    for (NodeSelectorTerm term : required.getNodeSelectorTerms()) {
      Optional<String> h = termHostname(term.getMatchExpressions());
      if (h.isEmpty()) return Optional.empty();
      names.add(h.get());
    }
    return names.size() == 1 ? Optional.of(names.iterator().next()) : Optional.empty();
  }

  private static Optional<String> termHostname(List<NodeSelectorRequirement> exprs) {
    if (exprs == null) return Optional.empty();
    for (NodeSelectorRequirement r : exprs) {
      if (HOSTNAME.equals(r.getKey()) && "In".equals(r.getOperator()) && r.getValues() != null
          && r.getValues().size() == 1) {
        return Optional.of(r.getValues().getFirst());
      }
    }
    return Optional.empty();
  }
}
