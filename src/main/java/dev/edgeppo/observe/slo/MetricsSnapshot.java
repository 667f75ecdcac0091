package dev.edgeppo.observe.slo;

import java.util.List;
import java.util.Map;

/**
 * The samples of one scrape that an objective needs, by sample name ({@code x_bucket},
 * {@code x_total}...), each with its labels as written. Immutable.
 */
public record MetricsSnapshot(Map<String, List<Sample>> samples) {

  /** One sample line: its labels (without the name) and its value (NaN and the infinities as written). */
  public record Sample(Map<String, String> labels, double value) {
    public Sample {
      labels = Map.copyOf(labels);
    }
  }

  public MetricsSnapshot {
    var copy = new java.util.HashMap<String, List<Sample>>();
    samples.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    samples = Map.copyOf(copy);
  }

  /** The samples called {@code name}, or an empty list. */
  public List<Sample> get(String name) { return samples.getOrDefault(name, List.of()); }

  /** How many samples the snapshot kept. */
  public int size() { return samples.values().stream().mapToInt(List::size).sum(); }
}
