package dev.edgeppo.log;

import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One way to log an event with fields: the fields travel as the record's only parameter, which the text
 * formatter appends as {@code key=value} and the JSON formatter turns into top-level keys (see the CLI's
 * LogSetup).
 */
public final class Events {
  private Events() {}

  public static void log(Logger logger, Level level, String msg, Map<String, ?> fields) {
    LogRecord r = new LogRecord(level, msg);
    r.setLoggerName(logger.getName());
    r.setParameters(new Object[] {fields});
    logger.log(r);
  }
}
