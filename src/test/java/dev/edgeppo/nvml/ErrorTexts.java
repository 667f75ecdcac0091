package dev.edgeppo.nvml;

import java.util.Map;

/** nvmlErrorString of Debian's libnvidia-ml1 535.261.03, as printed by it (the reference for the stand-in). */
final class ErrorTexts {
  private ErrorTexts() {}

  static final Map<Integer, String> REAL_535 = Map.ofEntries(
      Map.entry(0, "Success"), Map.entry(1, "Uninitialized"), Map.entry(2, "Invalid Argument"),
      Map.entry(3, "Not Supported"), Map.entry(4, "Insufficient Permissions"), Map.entry(5, "Already Initialized"),
      Map.entry(6, "Not Found"), Map.entry(7, "Insufficient Size"), Map.entry(8, "Insufficient External Power"),
      Map.entry(9, "Driver Not Loaded"), Map.entry(10, "Timeout"), Map.entry(11, "Interrupt Request Issue"),
      Map.entry(12, "NVML Shared Library Not Found"), Map.entry(13, "Function Not Found"),
      Map.entry(14, "Corrupted infoROM"), Map.entry(15, "GPU is lost"), Map.entry(16, "GPU requires reset"),
      Map.entry(17, "GPU access blocked by the operating system"), Map.entry(18, "Driver/library version mismatch"),
      Map.entry(19, "In use by another client"), Map.entry(20, "Insufficient Memory"), Map.entry(21, "No data"),
      Map.entry(22, "vGPU ECC not supported"), Map.entry(23, "Insufficient Resources"),
      Map.entry(24, "Invalid Frequency"), Map.entry(25, "Argument version mismatch"), Map.entry(999, "Unknown Error"));
}
