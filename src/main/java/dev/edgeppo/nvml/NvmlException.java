package dev.edgeppo.nvml;

/**
 * An NVML call answered something other than success. The message carries NVML's own text
 * (nvmlErrorString), which is what operators search for; the call's name says where it happened.
 */
public final class NvmlException extends RuntimeException {
  private final NvmlReturn code;
  private final int rawCode;
  private final String function;
  private final String nvmlText;

  public NvmlException(String function, int rawCode, String nvmlText) {
    super(nvmlText + " (" + function + " returned " + rawCode + ")");
    this.code = NvmlReturn.of(rawCode);
    this.rawCode = rawCode;
    this.function = function;
    this.nvmlText = nvmlText;
  }

  public NvmlReturn code() { return code; }

  public int rawCode() { return rawCode; }

  /** The NVML function that failed (or "dlopen" when the library itself could not be loaded). */
  public String function() { return function; }

  /** nvmlErrorString's text, e.g. "Driver Not Loaded". */
  public String nvmlText() { return nvmlText; }
}
