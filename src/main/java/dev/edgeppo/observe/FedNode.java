package dev.edgeppo.observe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A node whose GPU processes and pods are told to it rather than read: what the simulator shows the
 * observer, so that {@code simulate}'s feedback is computed by the very {@link PodObserver} and
 * {@link ObservationRules} a node runs. Before each {@link PodObserver#tick}, the caller sets each GPU's
 * processes ({@link #show}) and which pods still run ({@link #alive}).
 */
public final class FedNode implements ProcessSource, PodResolver {
  /** One GPU process as NVML would report it, and the pod its cgroup names. */
  public record Proc(int pid, String podUid, long memoryMib, double smPercent) {}

  private final Map<Integer, List<Proc>> gpus = new HashMap<>();
  private final Map<Integer, String> podOfPid = new HashMap<>();
  private final Set<String> alive = new HashSet<>();

  /** GPU {@code gpu} shows exactly {@code procs} from now on (their SM % since the previous reading). */
  public void show(int gpu, List<Proc> procs) {
    List<Proc> old = gpus.put(gpu, new ArrayList<>(procs));
    if (old != null) for (Proc p : old) podOfPid.remove(p.pid());
    for (Proc p : procs) podOfPid.put(p.pid(), PodCgroup.normalize(p.podUid()));
  }

  /** Whether pod {@code podUid} still runs (a pod whose GPU processes are gone may still run). */
  public void alive(String podUid, boolean running) {
    if (running) alive.add(PodCgroup.normalize(podUid));
    else alive.remove(PodCgroup.normalize(podUid));
  }

  @Override
  public GpuProcesses read(int gpu) {
    Map<Integer, Long> mem = new HashMap<>();
    Map<Integer, Double> sm = new HashMap<>();
    for (Proc p : gpus.getOrDefault(gpu, List.of())) {
      mem.merge(p.pid(), p.memoryMib(), Long::sum);
      // NVML leaves out processes that used no SM: so does the fed node.
      if (p.smPercent() > 0) sm.merge(p.pid(), p.smPercent(), Double::sum);
    }
    return new GpuProcesses(mem, sm);
  }

  @Override
  public String podOf(int pid) { return podOfPid.get(pid); }

  @Override
  public boolean podAlive(String podUid) { return alive.contains(PodCgroup.normalize(podUid)); }
}
