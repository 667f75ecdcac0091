package dev.edgeppo.ppo;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What one update reports (SPEC §2). Losses, approx_kl, clip_fraction and grad_norm (before clipping)
 * are means over the minibatch steps that ran (a step the non-finite guard skipped is left out), each
 * measured at that step's forward pass, before its parameters change.
 * explained_variance = 1 - Var(R - V_old) / Var(R) over the batch (0 when Var(R) is 0).
 * std is exp(log_std) after the update. skipped_steps counts steps dropped by the non-finite guard.
 */
public record UpdateMetrics(
    @JsonProperty("policy_loss") double policyLoss,
    @JsonProperty("value_loss") double valueLoss,
    @JsonProperty("entropy") double entropy,
    @JsonProperty("approx_kl") double approxKl,
    @JsonProperty("clip_fraction") double clipFraction,
    @JsonProperty("explained_variance") double explainedVariance,
    @JsonProperty("std") double[] std,
    @JsonProperty("grad_norm") double gradNorm,
    @JsonProperty("steps") int steps,
    @JsonProperty("skipped_steps") int skippedSteps,
    @JsonProperty("batch_size") int batchSize) {}
