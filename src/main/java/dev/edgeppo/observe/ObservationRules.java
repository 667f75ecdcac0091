package dev.edgeppo.observe;

import dev.edgeppo.observe.slo.SloVerdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * SPEC §5's rules turning what the observer saw of a pod into its feedback. These are the reward's eyes
 * (SPEC §1 rewards {@code actual_usage / granted} and {@code qos_met}), so each is one named function,
 * tested one by one.
 *
 * <p>Every rule reads the samples since the pod's first process appeared ({@link #sinceFirstProcess}):
 * readings taken before (while the pod's image was pulled, say) say nothing about how the pod did.
 */
public final class ObservationRules {
  private ObservationRules() {}

  /** The samples from the first one in which the pod had a process on the GPU; empty when it never had one. */
  public static List<PodSample> sinceFirstProcess(List<PodSample> samples) {
    for (int i = 0; i < samples.size(); i++) if (samples.get(i).processes() > 0) return samples.subList(i, samples.size());
    return List.of();
  }

  /**
   * {@code actual_usage}: the pod's mean SM utilization, summed over its processes at each reading and
   * averaged over the readings since its first process appeared; capped at 100 (several processes' samples
   * can add up past it). NaN when the pod never had a process.
   */
  public static double actualUsage(List<PodSample> samples) {
    List<PodSample> s = sinceFirstProcess(samples);
    if (s.isEmpty()) return Double.NaN;
    double sum = 0;
    for (PodSample p : s) sum += p.smPercent();
    return Math.min(100.0, Math.max(0.0, sum / s.size()));
  }

  /** The threshold of "held at its grant": one point below the granted cores, since NVML's percentages are whole. */
  public static double throttleThreshold(int grantedCores) { return grantedCores - 1.0; }

  /** How many readings (since the first process) had summed SM at or above {@link #throttleThreshold}. */
  public static int throttledSamples(List<PodSample> samples, int grantedCores) {
    int n = 0;
    for (PodSample p : sinceFirstProcess(samples)) if (p.smPercent() >= throttleThreshold(grantedCores)) n++;
    return n;
  }

  /**
   * Share of readings at the cap beyond which a pod counts as throttled. SPEC §5 says "most" (a half); the
   * simulator, learning through this very rule, shows why that is too lenient: a bursty pod capped during its
   * bursts sits at the cap in fewer than half of its readings, so under "most" the agent learns to cut bursty
   * pods to their quiet level and its train-mode reward falls 0.71 below granting the ask (SPEC §6 allows
   * 0.10). At a quarter every scenario but one holds SPEC §6 (docs/learning.md, "Learning through the observer").
   */
  public static final double THROTTLED_SHARE = 0.25;

  /**
   * Throttled: the grant held the pod below its ask. Its summed SM sat at or above {@code granted - 1} in more
   * than {@link #THROTTLED_SHARE} of its readings, and the grant was below what it asked for. A pod that wanted
   * less than its grant never sits at the cap, so sitting there that often means the grant, not the pod, set
   * its pace. A pod granted its whole ask that sits at its cap is at the limit its owner set, which no grant
   * could lift: counting it as throttled would tell the learner that granting the ask fails such a pod as much
   * as cutting it does (in the simulator it then cut pods that use their whole ask, and after the {@code shift}
   * scenario fell 0.3 below granting every ask).
   */
  public static boolean throttled(List<PodSample> samples, int grantedCores, int requestedCores) {
    if (grantedCores >= requestedCores) return false;
    int n = sinceFirstProcess(samples).size();
    return n > 0 && throttledSamples(samples, grantedCores) > THROTTLED_SHARE * n;
  }

  /** The most GPU memory (MiB) the pod held at one reading. */
  public static long peakMemoryMib(List<PodSample> samples) {
    long peak = 0;
    for (PodSample p : samples) peak = Math.max(peak, p.memoryMib());
    return peak;
  }

  /**
   * Out of memory: the pod's used memory reached the granted limit (peak MiB ≥ granted MB) at some reading.
   * Under MPS's pinned-memory limit allocations past the grant fail, so a pod at the limit was short of memory.
   */
  public static boolean memoryAtLimit(List<PodSample> samples, long grantedMemoryMb) {
    return peakMemoryMib(samples) >= grantedMemoryMb;
  }

  /** Vanished: the pod's GPU processes went away while the pod itself still ran (a crash or OOM exit). */
  public static boolean vanishedEarly(Ending ending) { return ending == Ending.PROCESSES_VANISHED; }

  /**
   * A reading counts as a saturated GPU when every process's SM on it, summed, reached this. A GPU whose
   * processes together want more than it has runs at 100 % and shares it out, so each of them gets less than
   * it wanted; NVML's per-process samples are whole percents averaged over the reading, and several processes'
   * rounding and jitter keep the sum a few points off 100, hence 95 rather than 100.
   */
  public static final double SATURATED_GPU_SM = 95.0;

  /**
   * The pod's own SM at a reading below which it counts as idle there: an idle pod on a full GPU lost nothing
   * to its neighbours (it wanted nothing), so a pod that simply wants little is not called starved for the
   * moments it wants nothing at all.
   */
  public static final double ACTIVE_POD_SM = 1.0;

  /**
   * Share of readings on a saturated GPU beyond which a pod counts as starved. The simulator's truth calls a
   * pod served when it got nearly all it wanted in at least 90 % of its moments, so being short in more than a
   * tenth of them fails it; the observer cannot tell a GPU wanted at 105 % (everyone gets 95 %) from one wanted
   * at 150 %, so it asks for a little more than a tenth. Set from these reasons, then checked (not changed) on
   * the suite's {@code cotenants} and {@code classes} scenarios, seed 1 (docs/observer.md).
   */
  public static final double STARVED_SHARE = 0.15;

  /** How many readings (since the first process) found the pod active on a saturated GPU. */
  public static int starvedSamples(List<PodSample> samples) {
    int n = 0;
    for (PodSample p : sinceFirstProcess(samples))
      if (p.gpuSmPercent() >= SATURATED_GPU_SM && p.smPercent() >= ACTIVE_POD_SM) n++;
    return n;
  }

  /**
   * Starved by its neighbours (SPEC §5 rule 4): in more than {@link #STARVED_SHARE} of its readings the pod was
   * running work while the whole GPU was full. Rule 3 cannot see this: a pod squeezed by contention gets less
   * than its grant, so it never sits at its cap. Readings without the whole GPU's use (NaN) never count.
   */
  public static boolean starved(List<PodSample> samples) {
    int n = sinceFirstProcess(samples).size();
    return n > 0 && starvedSamples(samples) > STARVED_SHARE * n;
  }

  /** {@code qos_met}: none of the three failures happened. */
  public static boolean qosMet(boolean throttled, boolean memoryAtLimit, boolean vanishedEarly) {
    return !throttled && !memoryAtLimit && !vanishedEarly;
  }

  /** {@code qos_met}: none of the four failures happened (SPEC §5 rules 2-4). */
  public static boolean qosMet(boolean throttled, boolean memoryAtLimit, boolean vanishedEarly, boolean starved) {
    return qosMet(throttled, memoryAtLimit, vanishedEarly) && !starved;
  }

  /**
   * {@code pods}: pods on that GPU at the last reading in which this pod still had a process (this pod
   * included, so at least 1).
   */
  public static int pods(List<PodSample> samples) {
    for (int i = samples.size() - 1; i >= 0; i--) {
      PodSample p = samples.get(i);
      if (p.processes() > 0) return Math.max(1, p.podsOnGpu());
    }
    return 1;
  }

  /** {@code done}: the pod has ended, so this was its last experience. */
  public static boolean done(Ending ending) { return ending == Ending.POD_ENDED; }

  /**
   * All the rules at once, each with its reason. Throws IllegalArgumentException when the pod never had a
   * process: such an allocation gets no feedback (SPEC §5), so there is nothing to judge.
   */
  public static Verdict judge(List<PodSample> samples, int grantedCores, int requestedCores, long grantedMemoryMb,
                              Ending ending) {
    List<PodSample> s = sinceFirstProcess(samples);
    if (s.isEmpty()) throw new IllegalArgumentException("the pod never had a GPU process: nothing to judge");
    double usage = actualUsage(s);
    int throttledN = throttledSamples(s, grantedCores);
    boolean throttled = throttled(s, grantedCores, requestedCores);
    long peak = peakMemoryMib(s);
    boolean oom = memoryAtLimit(s, grantedMemoryMb);
    boolean vanished = vanishedEarly(ending);
    int starvedN = starvedSamples(s);
    boolean starved = starved(s);
    boolean met = qosMet(throttled, oom, vanished, starved);
    int pods = pods(s);
    boolean done = done(ending);
    List<String> why = new ArrayList<>();
    why.add(fmt("actual_usage %.1f: mean summed SM %% over %d readings since the first process appeared", usage, s.size()));
    why.add(grantedCores >= requestedCores
        ? fmt("not throttled: granted the whole ask (%d); summed SM >= %d in %d of %d readings is the pod's own limit",
            requestedCores, grantedCores - 1, throttledN, s.size())
        : fmt("%s: summed SM >= %d (granted %d - 1, asked %d) in %d of %d readings (throttled above %.0f%%)",
            throttled ? "throttled" : "not throttled", grantedCores - 1, grantedCores, requestedCores, throttledN, s.size(),
            100 * THROTTLED_SHARE));
    why.add(fmt("%s: peak %d MiB %s granted %d MB", oom ? "memory at the limit" : "memory below the limit", peak,
        oom ? ">=" : "<", grantedMemoryMb));
    why.add(switch (ending) {
      case WINDOW_CLOSED -> "processes ran to the end of the window";
      case POD_ENDED -> "processes ended with the pod";
      case PROCESSES_VANISHED -> "processes vanished while the pod still ran";
    });
    why.add(fmt("%s: active on a GPU whose processes summed SM >= %.0f %% in %d of %d readings (starved above %.0f%%)",
        starved ? "starved by its neighbours" : "not starved", SATURATED_GPU_SM, starvedN, s.size(), 100 * STARVED_SHARE));
    why.add(fmt("qos_met %s; pods %d on the GPU at the pod's last reading; done %s", met, pods, done));
    return new Verdict(usage, met, pods, done, s.size(), throttledN, peak, ending, why);
  }

  /**
   * SPEC §5 rule 1, first of all: where the pod declared a service level and its metrics decided it, that
   * decides {@code qos_met}; an undecided window (scrapes failed, no observations) leaves the NVML rules'
   * verdict, saying why. Usage, pods and done always come from NVML.
   */
  public static Verdict withServiceLevel(Verdict nvml, SloVerdict slo) {
    List<String> why = new ArrayList<>();
    boolean qos = nvml.qosMet();
    if (slo.decided()) {
      qos = slo.met();
      why.add(fmt("service level %s: %s measured %s over %d scrapes (%d failed); it decides qos_met %s",
          slo.met() ? "met" : "missed", slo.objective().text(), plain(slo.value()), slo.scrapes(), slo.failedScrapes(), qos));
    } else {
      why.add(fmt("service level %s undecided (%s): the NVML rules decide qos_met", slo.objective().text(), slo.reason()));
    }
    why.addAll(nvml.why());
    return new Verdict(nvml.actualUsage(), qos, nvml.pods(), nvml.done(), nvml.samples(), nvml.throttledSamples(),
        nvml.peakMemoryMib(), nvml.ending(), why, slo);
  }

  private static String plain(double v) { return String.format(Locale.ROOT, "%.6g", v); }

  private static String fmt(String f, Object... args) { return String.format(Locale.ROOT, f, args); }
}
