package dev.edgeppo.fleet;

import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code serve --fleet NAME} (SPEC §7): the fleet, its namespace, the sync period, the fleet step
 * ({@link FleetMember.Settings#stepMax}), this agent's name (its node's), the kubeconfig (null: in-cluster) and what
 * is shared ({@link FleetMember.Sharing}).
 */
public record FleetSettings(String name, String namespace, Duration period, double step, String agent, Path kubeconfig,
                            FleetMember.Sharing sharing) {
  public FleetSettings {
    java.util.Objects.requireNonNull(sharing);
    FleetNames.requireLabelValue("fleet", name);
    FleetNames.requireLabelValue("agent (node name)", agent);
    if (namespace == null || !namespace.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || namespace.length() > 63)
      throw new IllegalArgumentException("fleet namespace '" + namespace + "' is not a Kubernetes namespace name");
    if (period.isNegative() || period.isZero()) throw new IllegalArgumentException("fleet sync period must be > 0");
  }
}
