package dev.edgeppo.agent;

import dev.edgeppo.ppo.ActionMapping;

/** SPEC §1's action-to-grant conversion; the formulas and their floors live in {@link ActionMapping}. */
public final class ActionMapper {
  private ActionMapper() {}

  public record Grant(int cores, long memoryMb) {}

  /** The seed's mapping (SPEC §1's worked example). */
  public static Grant grant(float[] action, int requestedCores, long requestedMemoryMb, long maxMemoryMb) {
    return grant(ActionMapping.SEED, action, requestedCores, requestedMemoryMb, maxMemoryMb);
  }

  public static Grant grant(ActionMapping mapping, float[] action, int requestedCores, long requestedMemoryMb, long maxMemoryMb) {
    ActionMapping.Grant g = mapping.grant(action, requestedCores, requestedMemoryMb, maxMemoryMb);
    return new Grant(g.cores(), g.memoryMb());
  }
}
