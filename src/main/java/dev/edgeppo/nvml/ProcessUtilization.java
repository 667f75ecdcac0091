package dev.edgeppo.nvml;

/** One nvmlProcessUtilizationSample_t: percentages over the sample ending at {@code timestampMicros}. */
public record ProcessUtilization(int pid, int smUtil, int memUtil, int encUtil, int decUtil, long timestampMicros) {}
