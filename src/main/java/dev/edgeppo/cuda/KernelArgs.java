package dev.edgeppo.cuda;

import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.ParamLayout;

/** The structs the kernels take by value (cuda-kernels/common.cuh), as arrays of 4-byte words. */
final class KernelArgs {
  private KernelArgs() {}

  /** struct Layout: H, the thirteen tensor offsets in ParamLayout order, the total size. */
  static int[] layout(ParamLayout l) {
    return new int[] {l.hidden(), l.actor0W.offset(), l.actor0B.offset(), l.actor2W.offset(), l.actor2B.offset(),
        l.actor4W.offset(), l.actor4B.offset(), l.logStd.offset(), l.critic0W.offset(), l.critic0B.offset(),
        l.critic2W.offset(), l.critic2B.offset(), l.critic4W.offset(), l.critic4B.offset(), l.size()};
  }

  /**
   * struct PpoConsts. Products and bounds are formed in double and rounded once, as torch does with its
   * Python-float hyperparameters. Adam's step is capped: beyond ~1e5 steps both bias corrections are
   * exactly 1 in double, so the cap changes nothing.
   */
  static int[] ppoConsts(Hyperparameters hp, int t, long adamStep) {
    float eps = (float) hp.clipEpsilon();
    return new int[] {
        f(hp.gamma()), Float.floatToRawIntBits((float) hp.gamma() * (float) hp.gaeLambda()), // as the CPU backend
        f(eps), f(1f - eps), f(1f + eps),
        f(hp.valueCoef()), f(hp.entropyCoef()),
        f(hp.maxGradNorm()), f(hp.learningRate()), f(hp.adamEps()),
        f(Hyperparameters.LOG_STD_MIN), f(Hyperparameters.LOG_STD_MAX),
        hp.epochs(), hp.minibatchFor(t), hp.normalizeAdvantages() ? 1 : 0, t,
        (int) Math.min(adamStep, 1 << 30)};
  }

  private static int f(double v) { return Float.floatToRawIntBits((float) v); }
}
