package dev.edgeppo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeppo.json.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * java.util.logging to stderr, as text or as one JSON object a line. Structured fields travel as a
 * {@code Map} in the record's first parameter and become top-level keys in JSON.
 */
final class LogSetup {
  private static final ObjectMapper JSON = Json.MAPPER;

  private LogSetup() {}

  static void configure(String format, String level) {
    Level lvl = switch (level.toLowerCase()) {
      case "debug" -> Level.FINE;
      case "info" -> Level.INFO;
      case "warn", "warning" -> Level.WARNING;
      case "error" -> Level.SEVERE;
      default -> throw new IllegalArgumentException("log_level must be debug, info, warn or error, got '" + level + "'");
    };
    Formatter f = switch (format) {
      case "json" -> new JsonFormatter();
      case "text" -> new TextFormatter();
      default -> throw new IllegalArgumentException("log_format must be text or json, got '" + format + "'");
    };
    Logger root = Logger.getLogger("");
    for (Handler h : root.getHandlers()) root.removeHandler(h);
    ConsoleHandler h = new ConsoleHandler();
    h.setFormatter(f);
    h.setLevel(lvl);
    root.addHandler(h);
    root.setLevel(lvl);
  }

  static Map<?, ?> fields(LogRecord r) {
    Object[] p = r.getParameters();
    return p != null && p.length == 1 && p[0] instanceof Map<?, ?> m ? m : Map.of();
  }

  static String stack(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString();
  }

  static final class JsonFormatter extends Formatter {
    @Override
    public String format(LogRecord r) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("ts", Instant.ofEpochMilli(r.getMillis()).toString());
      o.put("level", r.getLevel().getName());
      o.put("logger", r.getLoggerName());
      o.put("msg", r.getMessage());
      fields(r).forEach((k, v) -> o.putIfAbsent(String.valueOf(k), v));
      if (r.getThrown() != null) {
        o.put("error", String.valueOf(r.getThrown().getMessage()));
        o.put("stack", stack(r.getThrown()));
      }
      try {
        return JSON.writeValueAsString(o) + System.lineSeparator();
      } catch (Exception e) {
        return "{\"level\":\"SEVERE\",\"msg\":\"log record not serialisable\"}" + System.lineSeparator();
      }
    }
  }

  static final class TextFormatter extends Formatter {
    @Override
    public String format(LogRecord r) {
      StringBuilder b = new StringBuilder().append(Instant.ofEpochMilli(r.getMillis())).append(' ')
          .append(r.getLevel().getName()).append(' ').append(r.getMessage());
      fields(r).forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
      if (r.getThrown() != null) b.append(System.lineSeparator()).append(stack(r.getThrown()));
      return b.append(System.lineSeparator()).toString();
    }
  }
}
