package dev.edgeppo.ppo;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Every knob of the learner, with SPEC §2's defaults. The JSON names are the ones of the
 * update-case files and of {@code /v1/policy}; this record is the only place a default lives.
 *
 * @param minibatchSize 0 means the whole batch (SPEC's default); otherwise consecutive slices
 * @param batchSize     T: complete experiences that trigger one online update
 * @param hidden        H of both networks
 * @param shuffleMinibatches off by default (SPEC: no shuffling); seeded when on
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record Hyperparameters(
    @JsonProperty("gamma") double gamma,
    @JsonProperty("gae_lambda") double gaeLambda,
    @JsonProperty("clip_epsilon") double clipEpsilon,
    @JsonProperty("epochs") int epochs,
    @JsonProperty("minibatch_size") int minibatchSize,
    @JsonProperty("learning_rate") double learningRate,
    @JsonProperty("value_coef") double valueCoef,
    @JsonProperty("entropy_coef") double entropyCoef,
    @JsonProperty("max_grad_norm") double maxGradNorm,
    @JsonProperty("adam_eps") double adamEps,
    @JsonProperty("normalize_advantages") boolean normalizeAdvantages,
    @JsonProperty("batch_size") int batchSize,
    @JsonProperty("hidden") int hidden,
    @JsonProperty("initial_std") double initialStd,
    @JsonProperty("shuffle_minibatches") boolean shuffleMinibatches) {

  public static final double ADAM_BETA1 = 0.9;
  public static final double ADAM_BETA2 = 0.999;
  /** log_std is kept within [ln 0.01, 0] after every step: std never collapses nor exceeds 1. */
  public static final double LOG_STD_MIN = Math.log(0.01);
  public static final double LOG_STD_MAX = 0.0;

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = dev.edgeppo.json.Json.MAPPER;

  /**
   * SPEC's defaults with the fields of {@code overrides} (JSON names) laid over them. Unknown names
   * and out-of-range values are refused with a message naming the field.
   */
  public static Hyperparameters withOverrides(com.fasterxml.jackson.databind.JsonNode overrides) {
    if (overrides == null || !overrides.isObject()) throw new IllegalArgumentException("hyperparameters must be a JSON object");
    com.fasterxml.jackson.databind.node.ObjectNode merged = JSON.valueToTree(defaults());
    var it = overrides.fields();
    while (it.hasNext()) {
      var e = it.next();
      if (!merged.has(e.getKey())) throw new IllegalArgumentException("unknown hyperparameter '" + e.getKey() + "'; known: " + names());
      merged.set(e.getKey(), e.getValue());
    }
    try {
      return JSON.treeToValue(merged, Hyperparameters.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      Throwable c = e.getCause() instanceof IllegalArgumentException iae ? iae : e;
      throw new IllegalArgumentException("invalid hyperparameters: " + c.getMessage(), e);
    }
  }

  /** The JSON names of every hyperparameter. */
  public static java.util.List<String> names() {
    java.util.List<String> n = new java.util.ArrayList<>();
    JSON.valueToTree(defaults()).fieldNames().forEachRemaining(n::add);
    return n;
  }

  public static Hyperparameters defaults() {
    return new Hyperparameters(0.99, 0.95, 0.2, 4, 0, 3e-4, 0.5, 0.01, 0.5, 1e-8, true, 32, 64, 0.3, false);
  }

  public Hyperparameters {
    requireFinite("gamma", gamma, 0, 1);
    requireFinite("gae_lambda", gaeLambda, 0, 1);
    requireFinite("clip_epsilon", clipEpsilon, 0, 1);
    if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
    if (minibatchSize < 0) throw new IllegalArgumentException("minibatch_size must be >= 0 (0 = whole batch), got " + minibatchSize);
    requireFinite("learning_rate", learningRate, 0, 10);
    requireFinite("value_coef", valueCoef, 0, 1e6);
    requireFinite("entropy_coef", entropyCoef, -1e6, 1e6);
    requireFinite("max_grad_norm", maxGradNorm, 0, Double.MAX_VALUE);
    requireFinite("adam_eps", adamEps, 0, 1);
    if (batchSize < 1) throw new IllegalArgumentException("batch_size must be >= 1, got " + batchSize);
    if (hidden < 1 || hidden > 4096) throw new IllegalArgumentException("hidden must be in 1..4096, got " + hidden);
    if (!(initialStd >= 0.01 && initialStd <= 1.0))
      throw new IllegalArgumentException("initial_std must be in [0.01, 1] (log_std is kept in [ln 0.01, 0]), got " + initialStd);
  }

  private static void requireFinite(String name, double v, double lo, double hi) {
    if (!Double.isFinite(v) || v < lo || v > hi)
      throw new IllegalArgumentException(name + " must be a finite number in [" + lo + ", " + hi + "], got " + v);
  }

  /** Minibatch length for a batch of {@code t} experiences. */
  public int minibatchFor(int t) {
    return minibatchSize == 0 ? t : Math.min(minibatchSize, t);
  }

  public Hyperparameters withHidden(int h) {
    return new Hyperparameters(gamma, gaeLambda, clipEpsilon, epochs, minibatchSize, learningRate, valueCoef,
        entropyCoef, maxGradNorm, adamEps, normalizeAdvantages, batchSize, h, initialStd, shuffleMinibatches);
  }

  public Hyperparameters withBatchSize(int t) {
    return new Hyperparameters(gamma, gaeLambda, clipEpsilon, epochs, minibatchSize, learningRate, valueCoef,
        entropyCoef, maxGradNorm, adamEps, normalizeAdvantages, t, hidden, initialStd, shuffleMinibatches);
  }
}
