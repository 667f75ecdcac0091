package dev.edgeppo.observe;

/** Which pod a host process belongs to, and whether a pod still runs: {@link ProcFs} on a node. */
public interface PodResolver {
  /** The pod UID (lower case, dashes) of {@code pid}; null when it is gone or in no pod. */
  String podOf(int pid);

  /** Whether any process of the pod still runs on this node. */
  boolean podAlive(String podUid);
}
