package dev.edgeppo.sim;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * How much each pod really uses, hidden from the agent: the scenarios of {@code simulate}'s suite. Each
 * takes a pod as the arrivals shaped it (its ask, arrival and lifetime, from the trace or the synthetic
 * mix) and draws its hidden demand and working set anew, so the same asks meet different truths. The
 * agent was tuned on none of them in particular; the suite is there so that it meets usage nobody wrote
 * down for it.
 *
 * <p>Demands are shares of the cores asked for, working sets shares of the memory asked for (50-90 %
 * unless said). The label (a {@link WorkloadClass}) only says how the demand jitters: steady ±10 %
 * ({@code INFERENCE}), nearly flat ±3 % ({@code TRAINING}), bursty ±5 % ({@code BURSTY}).
 */
public enum UsageModel {
  /** The synthetic mix's classes as they come (trace rows: by their QoS class), the simulator's original model. */
  CLASSES("classes", "per class: inference uses 25-60 % of its ask, training 85-100 %, bursty 10-30 % with bursts to 80-100 %"),
  /** Small asks overstate 2-3×; asks above {@value #SMALL_ASK} % use 70-90 %. */
  SMALL_OVERSTATE("small_overstate", "asks up to 50 % use a third to a half of it, bigger asks 70-90 %"),
  /** Big asks use nearly all of it; small asks use half to four fifths. */
  BIG_FULL("big_full", "asks above 50 % use 90-100 % of it, smaller asks 50-80 %"),
  /** Every pod overstates by the same kind of margin, whatever its size. */
  UNIFORM_OVERSTATE("uniform_overstate", "every pod uses 40-70 % of its ask"),
  /** Every pod idles at 10-30 % and bursts to 80-100 % for 20-40 % of a 20-60 s period. */
  BURSTY("bursty", "every pod bursts: 10-30 % of its ask, 80-100 % for 20-40 % of each 20-60 s"),
  /** Memory asks far above the working set (10-30 % of it); cores 60-90 % of the ask. */
  MEMORY_OVERASK("memory_overask", "working set 10-30 % of the memory ask; cores 60-90 % of the ask"),
  /** 1-3 processes the agent did not place share the GPU (see {@link CoTenants}); pods use 40-90 % of their ask. */
  COTENANTS("cotenants", "1-3 co-tenants outside the agent (15-35 % SM, 2-6 GiB each) contend; pods use 40-90 %"),
  /** {@link #SMALL_OVERSTATE} for the first half of the learning stretch, then its mirror: small asks use all, big ones a third to a half. */
  SHIFT("shift", "small_overstate for the first half, then small asks use 90-100 % and big ones a third to a half");

  /** Asks up to this many cores % count as small. */
  public static final int SMALL_ASK = 50;

  private final String json;
  private final String description;

  UsageModel(String json, String description) {
    this.json = json;
    this.description = description;
  }

  public String json() { return json; }
  public String description() { return description; }

  public static UsageModel of(String name) {
    for (UsageModel m : values()) if (m.json.equals(name)) return m;
    throw new IllegalArgumentException("unknown scenario '" + name + "'; known: " + names());
  }

  public static List<String> names() { return Arrays.stream(values()).map(UsageModel::json).toList(); }

  /** The co-tenants this model puts on the node, or none. */
  public CoTenants coTenants(long seed) {
    return this == COTENANTS ? CoTenants.of(seed) : CoTenants.NONE;
  }

  /** As {@link #apply(List, long, int)} with the shift halfway through {@code pods}. */
  public List<SimPod> apply(List<SimPod> pods, long seed) { return apply(pods, seed, pods.size() / 2); }

  /**
   * The pods with their hidden usage drawn by this model; {@code pods} as the arrivals made them. A pure
   * function of the pods and the seed. {@code shiftAt}: the first pod index under {@link #SHIFT}'s second model.
   */
  public List<SimPod> apply(List<SimPod> pods, long seed, int shiftAt) {
    if (this == CLASSES) return pods;
    SplittableRandom r = new SplittableRandom(seed ^ 0x5CE4A1L * (ordinal() + 1));
    return pods.stream().map(p -> draw(p, p.index() >= shiftAt, r.split())).toList();
  }

  private SimPod draw(SimPod p, boolean secondHalf, SplittableRandom r) {
    boolean small = p.requestCores() <= SMALL_ASK;
    double ws = u(r, 0.50, 0.90);
    return switch (this) {
      case CLASSES -> p;
      case SMALL_OVERSTATE -> steady(p, ws, small ? u(r, 1 / 3.0, 0.5) : u(r, 0.70, 0.90), r);
      case BIG_FULL -> small ? steady(p, ws, u(r, 0.50, 0.80), r) : full(p, ws, u(r, 0.90, 1.00), r);
      case UNIFORM_OVERSTATE -> steady(p, ws, u(r, 0.40, 0.70), r);
      case BURSTY -> {
        double period = u(r, 20, 60);
        yield with(p, WorkloadClass.BURSTY, ws, u(r, 0.10, 0.30), u(r, 0.80, 1.00), period, u(r, 0.20, 0.40), u(r, 0, period), r);
      }
      case MEMORY_OVERASK -> steady(p, u(r, 0.10, 0.30), u(r, 0.60, 0.90), r);
      case COTENANTS -> steady(p, ws, u(r, 0.40, 0.90), r);
      case SHIFT -> !secondHalf
          ? steady(p, ws, small ? u(r, 1 / 3.0, 0.5) : u(r, 0.70, 0.90), r)
          : small ? full(p, ws, u(r, 0.90, 1.00), r) : steady(p, ws, u(r, 1 / 3.0, 0.5), r);
    };
  }

  private static SimPod steady(SimPod p, double ws, double share, SplittableRandom r) {
    return with(p, WorkloadClass.INFERENCE, ws, share, 0, 0, 0, 0, r);
  }

  private static SimPod full(SimPod p, double ws, double share, SplittableRandom r) {
    return with(p, WorkloadClass.TRAINING, ws, share, 0, 0, 0, 0, r);
  }

  private static SimPod with(SimPod p, WorkloadClass label, double ws, double base, double burst, double period, double duty,
                             double phase, SplittableRandom r) {
    long workingSet = Math.max(1, Math.round(p.requestMemoryMb() * ws));
    return new SimPod(p.index(), p.name(), label, p.arrivalS(), p.lifetimeS(), p.requestCores(), p.requestMemoryMb(), workingSet,
        p.requestCores() * base, p.requestCores() * burst, period, duty, phase, r.nextLong());
  }

  private static double u(SplittableRandom r, double lo, double hi) { return lo + (hi - lo) * r.nextDouble(); }
}
