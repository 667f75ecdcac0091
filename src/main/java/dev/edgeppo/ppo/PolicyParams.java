package dev.edgeppo.ppo;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** All parameters of actor, log_std and critic in one flat float array laid out by {@link ParamLayout}. */
public final class PolicyParams {
  private final ParamLayout layout;
  private final float[] data;

  public PolicyParams(ParamLayout layout) {
    this(layout, new float[layout.size()]);
  }

  public PolicyParams(ParamLayout layout, float[] data) {
    if (data.length != layout.size())
      throw new IllegalArgumentException("parameter array has " + data.length + " floats, layout needs " + layout.size());
    this.layout = layout;
    this.data = data;
  }

  public ParamLayout layout() { return layout; }
  /** The live array: backends update it in place. */
  public float[] data() { return data; }

  public PolicyParams copy() { return new PolicyParams(layout, data.clone()); }

  public float[] tensorCopy(String name) {
    ParamLayout.Tensor t = layout.tensor(name);
    return Arrays.copyOfRange(data, t.offset(), t.offset() + t.size());
  }

  public void setTensor(String name, float[] values) {
    ParamLayout.Tensor t = layout.tensor(name);
    if (values.length != t.size())
      throw new IllegalArgumentException(name + " needs " + t.size() + " values, got " + values.length);
    System.arraycopy(values, 0, data, t.offset(), t.size());
  }

  /**
   * SPEC §2's initialisation: orthogonal weights with each layer's gain of {@link ParamLayout} (√2 on
   * hidden layers, 0.01 on the actor's output, 1 on the critic's), drawn layer after layer, actor
   * first; zero biases; log_std = ln(initialStd). Seeded: same seed, same numbers.
   */
  public static PolicyParams initialise(int hidden, double initialStd, long seed) {
    ParamLayout l = ParamLayout.of(hidden);
    PolicyParams p = new PolicyParams(l);
    SplittableRandom rng = new SplittableRandom(seed);
    for (var net : List.of(l.actor(), l.critic()))
      for (ParamLayout.Layer layer : net) Orthogonal.fill(p.data, layer.weight(), layer.initGain(), rng);
    float ls = (float) Math.log(initialStd);
    Arrays.fill(p.data, l.logStd.offset(), l.logStd.offset() + l.logStd.size(), ls);
    return p;
  }

  public boolean allFinite() {
    for (float v : data) if (!Float.isFinite(v)) return false;
    return true;
  }
}
