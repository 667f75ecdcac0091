package dev.edgeppo.sim;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Mean reward per block of consecutive training-stretch feedbacks, per policy: the x value is the number of
 * feedbacks at the block's end. PPO's curve is what it earned while learning (sampled actions); the
 * baselines' curves are flat up to the arrivals' own variation.
 */
public final class LearningCurve {
  private final int block;
  private final Map<String, double[]> curves = new LinkedHashMap<>();
  private int points = Integer.MAX_VALUE;

  public LearningCurve(int block) {
    if (block < 1) throw new IllegalArgumentException("block must be >= 1");
    this.block = block;
  }

  public void add(String policy, List<SimulationRunner.Outcome> outcomes) {
    List<Double> train = new ArrayList<>();
    for (SimulationRunner.Outcome o : outcomes) if (!o.evaluation()) train.add(o.reward());
    int m = Math.max(1, train.size() / block);
    double[] means = new double[m];
    for (int b = 0; b < m; b++) {
      int lo = b * block, hi = Math.min(train.size(), lo + block);
      double s = 0;
      for (int i = lo; i < hi; i++) s += train.get(i);
      means[b] = hi > lo ? s / (hi - lo) : Double.NaN;
    }
    curves.put(policy, means);
    points = Math.min(points, m);
  }

  public int block() { return block; }
  public Map<String, double[]> curves() { return curves; }

  /** Feedbacks at the end of each block. */
  public double[] x() {
    double[] x = new double[points == Integer.MAX_VALUE ? 0 : points];
    for (int i = 0; i < x.length; i++) x[i] = (i + 1) * (double) block;
    return x;
  }

  public void writeCsv(Path file) throws IOException {
    try (Writer w = Files.newBufferedWriter(file)) {
      w.write("feedbacks," + String.join(",", curves.keySet()) + "\n");
      double[] x = x();
      for (int i = 0; i < x.length; i++) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%d", (long) x[i]));
        for (double[] c : curves.values()) sb.append(String.format(Locale.ROOT, ",%.6f", c[i]));
        w.write(sb.append('\n').toString());
      }
    }
  }
}
