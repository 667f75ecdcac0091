package dev.edgeppo.ppo;

/** Adam's first and second moments (laid out like the parameters) and the step count, kept across updates. */
public final class AdamState {
  private final float[] expAvg;
  private final float[] expAvgSq;
  private long step;

  public AdamState(ParamLayout layout) {
    this(new float[layout.size()], new float[layout.size()], 0);
  }

  public AdamState(float[] expAvg, float[] expAvgSq, long step) {
    if (expAvg.length != expAvgSq.length) throw new IllegalArgumentException("Adam moments differ in length");
    if (step < 0) throw new IllegalArgumentException("Adam step must be >= 0, got " + step);
    this.expAvg = expAvg;
    this.expAvgSq = expAvgSq;
    this.step = step;
  }

  public float[] expAvg() { return expAvg; }
  public float[] expAvgSq() { return expAvgSq; }
  public long step() { return step; }
  public void setStep(long s) { step = s; }

  public AdamState copy() { return new AdamState(expAvg.clone(), expAvgSq.clone(), step); }
}
