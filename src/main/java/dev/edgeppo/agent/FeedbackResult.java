package dev.edgeppo.agent;

/**
 * @param buffered complete experiences waiting for the next update
 * @param training an update is running (or was just started by this feedback)
 * @param seq      the experience's number in the journal (-1 in infer mode, where nothing is kept)
 */
public record FeedbackResult(double reward, int buffered, boolean training, long seq) {}
