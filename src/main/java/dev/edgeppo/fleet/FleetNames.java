package dev.edgeppo.fleet;

/**
 * The one place for the names and limits of SPEC §7's shared object: the custom resource's group, version,
 * kind and plural (deploy/ writes the same in its CRD; ManifestFieldsTest-style checks read them from here),
 * the labels the agents select on, and the object's size limit.
 */
public final class FleetNames {
  private FleetNames() {}

  public static final String GROUP = "gpu.edgeppo.dev";
  public static final String VERSION = "v1alpha1";
  public static final String API_VERSION = GROUP + "/" + VERSION;
  public static final String KIND = "FleetPolicy";
  public static final String PLURAL = "fleetpolicies";
  public static final String SINGULAR = "fleetpolicy";

  /** Label on every object: the fleet it belongs to. Agents list with this selector, so fleets share a namespace safely. */
  public static final String FLEET_LABEL = GROUP + "/fleet";
  /** Label on every object: the agent (node) that writes it; the one writer of that object. */
  public static final String AGENT_LABEL = GROUP + "/agent";

  /** The format of {@code spec} this build writes and reads; an object of another format is ignored. */
  public static final int FORMAT = 1;

  /**
   * SPEC §7: each object stays under 256 KiB (etcd's default request limit is 1.5 MiB; a small object keeps
   * a 1,000-agent list and the watch cache cheap). Checked on what is written and on what is read.
   */
  public static final int MAX_OBJECT_BYTES = 256 * 1024;

  /**
   * Each object carries this agent's most recent own experiences, at most this many (docs/fleet.md,
   * "Experience"): 11,264 bytes of records, about 15 KB of base64. A round of 60 s on a node that sees a few
   * pods a minute never holds more new ones than this, so a peer that reads every round misses none.
   */
  public static final int SHARED_EXPERIENCES = dev.edgeppo.agent.AgentCore.RECENT_EXPERIENCES;

  /**
   * At most this many peers' experiences are trained on in one round, sampled among those with new ones: a
   * 1,000-agent fleet must not make each agent train 1,000 times as much as it would alone.
   */
  public static final int PEERS_PER_ROUND = 8;

  /** At most this many peer experiences are trained on in one round (8 batches of the edge profile's 32). */
  public static final int PEER_EXPERIENCES_PER_ROUND = 256;

  /**
   * Default of serve's fleet_step and simulate's --fleet-step (docs/fleet.md, "The merge"): 1, plain robust
   * averaging. The bold driver (up to 8) made up for data a parameter merge cannot pool; with experience shared it
   * adds nothing measurable, and at 30 epochs it let a bad node drag a good one to −0.005 where plain averaging
   * kept every good node at +0.091 or more.
   */
  public static final double DEFAULT_STEP = 1;

  /** The object of {@code agent} in {@code fleet}: one per agent, so nobody else ever writes it. */
  public static String objectName(String fleet, String agent) {
    String n = (fleet + "-" + agent).toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9.-]", "-");
    if (n.length() > 253) n = n.substring(0, 253);
    return n.replaceAll("^[^a-z0-9]+|[^a-z0-9]+$", "");
  }

  /** A label value (63 characters, alphanumeric at both ends) or a clear error: the fleet and agent names must fit one. */
  public static String requireLabelValue(String what, String v) {
    if (v == null || v.isEmpty() || v.length() > 63 || !v.matches("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"))
      throw new IllegalArgumentException(what + " '" + v + "' is not a Kubernetes label value (1-63 characters: letters, digits, "
          + "'-', '_', '.', starting and ending with a letter or digit)");
    return v;
  }
}
