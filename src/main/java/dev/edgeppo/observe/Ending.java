package dev.edgeppo.observe;

/** How an observation ended: what the rules need to know besides the samples. */
public enum Ending {
  /** The window closed while the pod's processes still ran. */
  WINDOW_CLOSED,
  /** The pod's GPU processes are gone and so is the pod (no process of it left on the node). */
  POD_ENDED,
  /** The pod's GPU processes are gone while the pod still runs (a crash, an out-of-memory exit, a restart). */
  PROCESSES_VANISHED
}
