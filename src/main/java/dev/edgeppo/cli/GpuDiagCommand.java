package dev.edgeppo.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import dev.edgeppo.json.Json;
import dev.edgeppo.nvml.GpuReading;
import dev.edgeppo.nvml.Nvml;
import dev.edgeppo.nvml.NvmlException;
import dev.edgeppo.nvml.ProcessUtilization;
import dev.edgeppo.nvml.ThrottleReasons;
import dev.edgeppo.telemetry.GpuSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code edgeppo gpu-diag}: what an operator checks in nvidia-smi, read straight from NVML (SPEC §3). */
@Command(name = "gpu-diag", mixinStandardHelpOptions = true,
    description = "GPU telemetry diagnostics straight from NVML ($EDGEPPO_NVML_LIBRARY or libnvidia-ml.so.1).")
final class GpuDiagCommand implements Callable<Integer> {
  static final ObjectMapper JSON = Json.MAPPER.copy()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .registerModule(new SimpleModule().addSerializer(GpuSnapshot.class, new StdSerializer<>(GpuSnapshot.class) {
        @Override
        public void serialize(GpuSnapshot g, JsonGenerator j, SerializerProvider p) throws IOException {
          writeGpu(g, j);
        }
      }));

  @Spec CommandSpec spec;

  @Option(names = "--json", description = "one JSON object per reading (SPEC §3) instead of a table")
  boolean json;

  @Option(names = "--watch", paramLabel = "SECONDS", description = "read again every SECONDS until interrupted")
  Integer watch;

  /**
   * SPEC §3's JSON, field for field; a reading the GPU does not support is null. The GPUs are the same
   * {@link GpuSnapshot} the agent's telemetry and /metrics use; {@link #writeGpu} spells out the contract's names.
   */
  record Report(String driverVersion, String nvmlVersion, List<GpuSnapshot> gpus) {}

  /** NVML reports utilization and temperature as whole numbers, so they print as such (45, not 45.0). */
  private static void writeGpu(GpuSnapshot g, JsonGenerator j) throws IOException {
    j.writeStartObject();
    j.writeNumberField("index", g.index());
    j.writeStringField("uuid", g.uuid());
    j.writeStringField("name", g.name());
    writeWhole(j, "utilization_gpu", g.utilizationGpu());
    writeWhole(j, "utilization_memory", g.utilizationMemory());
    j.writeObjectField("memory_total_mib", g.memoryTotalMib());
    j.writeObjectField("memory_used_mib", g.memoryUsedMib());
    j.writeObjectField("processes", g.processes());
    writeWhole(j, "temperature_c", g.temperatureC());
    j.writeObjectField("power_w", g.powerW());
    j.writeEndObject();
  }

  private static void writeWhole(JsonGenerator j, String name, Double v) throws IOException {
    if (v == null) j.writeNullField(name);
    else j.writeNumberField(name, Math.round(v));
  }

  @Override
  public Integer call() throws Exception {
    if (watch != null && watch < 1) throw new IllegalArgumentException("--watch wants whole seconds >= 1, got " + watch);
    PrintWriter out = spec.commandLine().getOut();
    try (Nvml nvml = Nvml.open()) {
      while (true) {
        List<GpuReading> gpus = nvml.readAll();
        if (json) {
          out.println(JSON.writeValueAsString(new Report(nvml.driverVersion(), nvml.nvmlVersion(),
              gpus.stream().map(GpuSnapshot::of).toList())));
        } else {
          printTable(out, nvml, gpus);
        }
        out.flush();
        if (watch == null) return 0;
        try {
          Thread.sleep(watch * 1000L);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return 0;
        }
        if (!json) out.println();
      }
    }
  }

  private static void printTable(PrintWriter out, Nvml nvml, List<GpuReading> gpus) {
    out.printf("Driver %s   NVML %s   %s%n", na(nvml.driverVersion()), na(nvml.nvmlVersion()), nvml.library());
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"GPU", "Name", "Bus-Id", "Temp", "Power / Cap", "Memory-Usage", "GPU-Util", "Mem-Util",
        "SM / Mem MHz", "ECC DBE", "MIG", "Procs"});
    for (GpuReading r : gpus) {
      // what the agent also sees from the snapshot; what only NVML has (bus id, power cap, clocks, ECC, MIG) from the reading
      GpuSnapshot g = GpuSnapshot.of(r);
      rows.add(new String[] {
          String.valueOf(g.index()), na(g.name()), r.pci() == null ? "N/A" : r.pci().busId(),
          g.temperatureC() == null ? "N/A" : whole(g.temperatureC()) + "C",
          watts(g.powerW()) + " / " + watts(r.powerLimitW()),
          g.memoryTotalMib() == null ? "N/A" : g.memoryUsedMib() + "MiB / " + g.memoryTotalMib() + "MiB",
          percent(g.utilizationGpu()), percent(g.utilizationMemory()),
          r.clocks() == null ? "N/A" : na(r.clocks().sm()) + " / " + na(r.clocks().memory()),
          r.ecc() == null ? "N/A" : String.valueOf(r.ecc().uncorrectedVolatile()),
          r.mig() == null ? "N/A" : r.mig().enabled() ? "On" : "Off",
          g.processes() == null ? "N/A" : String.valueOf(g.processes())});
    }
    printRows(out, rows);
    for (GpuReading g : gpus) {
      String throttle = g.throttleReasons() == null ? "N/A"
          : g.throttleReasons() == 0 ? "none" : String.join(", ", ThrottleReasons.names(g.throttleReasons()));
      out.printf("GPU %d  %s  throttle: %s%n", g.index(), na(g.uuid()), throttle);
    }
    List<String[]> procs = new ArrayList<>();
    procs.add(new String[] {"GPU", "PID", "Used", "SM%", "Mem%"});
    for (GpuReading g : gpus) {
      if (g.processes() == null || g.processes().isEmpty()) continue;
      Map<Integer, ProcessUtilization> util = latestUtilization(nvml, g.index());
      for (GpuReading.ProcessInfo p : g.processes()) {
        ProcessUtilization u = util.get(p.pid());
        procs.add(new String[] {String.valueOf(g.index()), String.valueOf(p.pid()),
            p.usedMib() == null ? "N/A" : p.usedMib() + "MiB",
            u == null ? "N/A" : String.valueOf(u.smUtil()), u == null ? "N/A" : String.valueOf(u.memUtil())});
      }
    }
    out.println(procs.size() == 1 ? "Processes: none" : "Processes:");
    if (procs.size() > 1) printRows(out, procs);
  }

  /** The newest sample per process; a diagnostics table tolerates a GPU that keeps none. */
  private static Map<Integer, ProcessUtilization> latestUtilization(Nvml nvml, int index) {
    try {
      List<ProcessUtilization> samples = nvml.processUtilization(index, 0);
      if (samples == null) return Map.of();
      return samples.stream().collect(Collectors.toMap(ProcessUtilization::pid, Function.identity(),
          (a, b) -> a.timestampMicros() >= b.timestampMicros() ? a : b));
    } catch (NvmlException e) {
      return Map.of();
    }
  }

  private static void printRows(PrintWriter out, List<String[]> rows) {
    int[] width = new int[rows.getFirst().length];
    for (String[] r : rows) for (int i = 0; i < r.length; i++) width[i] = Math.max(width[i], r[i].length());
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        line.append(r[i]);
        if (i < r.length - 1) line.append(" ".repeat(width[i] - r[i].length() + 2));
      }
      out.println(line);
    }
  }

  private static String na(Object v) { return v == null ? "N/A" : v.toString(); }

  private static long whole(double v) { return Math.round(v); }

  private static String percent(Double v) { return v == null ? "N/A" : whole(v) + "%"; }

  private static String watts(Double w) { return w == null ? "N/A" : String.format("%.0fW", w); }
}
