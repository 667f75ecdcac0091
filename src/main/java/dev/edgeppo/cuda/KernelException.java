package dev.edgeppo.cuda;

/** A kernel launch, copy or GEMM failed; the message names the kernel or call. */
public final class KernelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public KernelException(String message) { super(message); }

  public KernelException(String message, Throwable cause) { super(message, cause); }
}
