package dev.edgeppo.agent;

/**
 * One complete transition, numbered in the order it was completed. {@code seq} orders the journal and
 * tells which experiences a checkpoint already holds.
 */
public record Experience(long seq, float[] state, float[] action, float logProb, float value, float reward,
                         float[] nextState, boolean done) {}
