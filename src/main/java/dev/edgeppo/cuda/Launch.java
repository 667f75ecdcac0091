package dev.edgeppo.cuda;

/**
 * A 1-D launch configuration: blocks in the grid, threads per block, dynamic shared memory in bytes
 * (the kernels use static shared memory only, so always 0 today).
 */
public record Launch(int grid, int block, int sharedBytes) {
  /** Threads per block of every kernel; a power of two, at most the kernels' EDGEPPO_MAX_THREADS. */
  public static final int THREADS = 256;
  /** Grid-stride loops make any grid correct; this caps the grid of an element-wise launch. */
  static final int MAX_GRID = 1024;

  public Launch {
    if (grid < 1 || block < 1 || block > 1024 || sharedBytes < 0)
      throw new IllegalArgumentException("bad launch: grid " + grid + ", block " + block + ", shared " + sharedBytes);
  }

  /** Enough blocks of {@link #THREADS} threads for one thread per element, capped at MAX_GRID. */
  public static Launch elementwise(long count) {
    long blocks = (Math.max(1, count) + THREADS - 1) / THREADS;
    return new Launch((int) Math.min(MAX_GRID, blocks), THREADS, 0);
  }

  /** One block: the kernels that reduce across the block or run a whole update. */
  public static Launch oneBlock(int threads) { return new Launch(1, threads, 0); }
}
