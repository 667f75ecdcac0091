package dev.edgeppo.agent;

/** train: sample actions and learn from feedback; infer: answer with the mean and learn nothing. */
public enum Mode { TRAIN, INFER }
