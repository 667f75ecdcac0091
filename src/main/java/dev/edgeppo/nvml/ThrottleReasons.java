package dev.edgeppo.nvml;

import static dev.edgeppo.nvml.gen.nvml_h.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Names for the bits of nvmlDeviceGetCurrentClocksThrottleReasons, as nvidia-smi -q words them. */
public final class ThrottleReasons {
  private static final Map<Long, String> NAMES = new LinkedHashMap<>();
  static {
    NAMES.put(nvmlClocksThrottleReasonGpuIdle(), "Idle");
    NAMES.put(nvmlClocksThrottleReasonApplicationsClocksSetting(), "Applications Clocks Setting");
    NAMES.put(nvmlClocksThrottleReasonSwPowerCap(), "SW Power Cap");
    NAMES.put(nvmlClocksThrottleReasonHwSlowdown(), "HW Slowdown");
    NAMES.put(nvmlClocksThrottleReasonSyncBoost(), "Sync Boost");
    NAMES.put(nvmlClocksThrottleReasonSwThermalSlowdown(), "SW Thermal Slowdown");
    NAMES.put(nvmlClocksThrottleReasonHwThermalSlowdown(), "HW Thermal Slowdown");
    NAMES.put(nvmlClocksThrottleReasonHwPowerBrakeSlowdown(), "HW Power Brake Slowdown");
    NAMES.put(nvmlClocksThrottleReasonDisplayClockSetting(), "Display Clock Setting");
  }

  private ThrottleReasons() {}

  /** The set bits' names in bit order; a bit our nvml.h does not know is shown as its hex value. */
  public static List<String> names(long mask) {
    List<String> out = new ArrayList<>();
    long known = 0;
    for (Map.Entry<Long, String> e : NAMES.entrySet()) {
      known |= e.getKey();
      if ((mask & e.getKey()) != 0) out.add(e.getValue());
    }
    long rest = mask & ~known;
    if (rest != 0) out.add(String.format("0x%x", rest));
    return out;
  }
}
