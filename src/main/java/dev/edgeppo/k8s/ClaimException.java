package dev.edgeppo.k8s;

/** Why one claim cannot be prepared; the kubelet gets it as that claim's error, never as a failed call. */
public final class ClaimException extends RuntimeException {
  public ClaimException(String message) { super(message); }
}
