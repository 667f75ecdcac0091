package dev.edgeppo.agent;

/**
 * @param buffered complete experiences waiting for the next update
 * @param training an update is running (or was just started by this feedback)
 */
public record FeedbackResult(double reward, int buffered, boolean training) {}
