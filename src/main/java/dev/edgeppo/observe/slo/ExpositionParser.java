package dev.edgeppo.observe.slo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Reads the Prometheus text format 0.0.4 and OpenMetrics 1.0 text into a {@link MetricsSnapshot} of
 * the samples a caller wants. Written here because no maintained Java library parses it: the
 * Prometheus client_java 1.x exposition modules only write the formats (docs/service-levels.md).
 *
 * <p>Every line must start with a valid metric name (or be a comment, blank, or a Prometheus 3
 * quoted-name line, which cannot be a wanted legacy name); the lines of wanted samples are read
 * strictly: labels with their escapes, a decimal value (or NaN/±Inf), an optional timestamp, an
 * optional OpenMetrics exemplar (ignored). {@code # EOF} ends the text. Work is one pass over the
 * text, memory is bounded by the wanted samples (at most {@link #MAX_SAMPLES}): a hostile body gets
 * an exception, never a hang.
 */
public final class ExpositionParser {

  /** Wanted samples kept from one scrape at most: a histogram of 30 buckets over 300 label sets fits. */
  public static final int MAX_SAMPLES = 10_000;

  private static final Pattern NUMBER = Pattern.compile(
      "[-+]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?");

  private ExpositionParser() {}

  /** The samples of {@code text} whose name {@code wanted} accepts. */
  public static MetricsSnapshot parse(CharSequence text, Predicate<String> wanted) throws MalformedMetricsException {
    Map<String, List<MetricsSnapshot.Sample>> kept = new HashMap<>();
    Set<String> seen = new HashSet<>();
    int count = 0;
    int lineNo = 0;
    int pos = 0;
    int n = text.length();
    while (pos < n) {
      lineNo++;
      int end = pos;
      while (end < n && text.charAt(end) != '\n') end++;
      int lineEnd = end > pos && text.charAt(end - 1) == '\r' ? end - 1 : end;
      int next = end + 1;
      int i = skipBlanks(text, pos, lineEnd);
      if (i == lineEnd) { pos = next; continue; }
      char c = text.charAt(i);
      if (c == '#') {
        if (isEof(text, i, lineEnd)) break;
        pos = next;
        continue;
      }
      if (c == '{') { pos = next; continue; } // Prometheus 3 quoted name: never a legacy name we want
      int nameEnd = nameEnd(text, i, lineEnd);
      if (nameEnd == i) throw bad(lineNo, "does not start with a metric name");
      String name = text.subSequence(i, nameEnd).toString();
      if (!wanted.test(name)) { pos = next; continue; }
      Line line = new Line(text, nameEnd, lineEnd, lineNo);
      Map<String, String> labels = line.labels();
      double value = line.valueAndRest();
      String key = name + labels;
      if (!seen.add(key)) throw bad(lineNo, "the sample " + name + labels + " appears twice");
      if (++count > MAX_SAMPLES) throw bad(lineNo, "more than " + MAX_SAMPLES + " wanted samples");
      kept.computeIfAbsent(name, k -> new ArrayList<>()).add(new MetricsSnapshot.Sample(labels, value));
      pos = next;
    }
    return new MetricsSnapshot(kept);
  }

  /** The samples {@code objective} needs. */
  public static MetricsSnapshot parse(CharSequence text, Objective objective) throws MalformedMetricsException {
    return parse(text, objective::needs);
  }

  private static boolean isEof(CharSequence t, int i, int end) {
    String rest = t.subSequence(i, end).toString().strip();
    return rest.equals("# EOF");
  }

  private static int skipBlanks(CharSequence t, int i, int end) {
    while (i < end && (t.charAt(i) == ' ' || t.charAt(i) == '\t')) i++;
    return i;
  }

  private static int nameEnd(CharSequence t, int i, int end) {
    int j = i;
    while (j < end) {
      char c = t.charAt(j);
      boolean ok = c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (j > i && c >= '0' && c <= '9');
      if (!ok) break;
      j++;
    }
    return j;
  }

  private static MalformedMetricsException bad(int line, String why) {
    return new MalformedMetricsException("line " + line + ": " + why);
  }

  /** The rest of one wanted sample line, read left to right. */
  private static final class Line {
    private final CharSequence t;
    private final int end;
    private final int lineNo;
    private int i;

    Line(CharSequence t, int from, int end, int lineNo) {
      this.t = t;
      this.i = from;
      this.end = end;
      this.lineNo = lineNo;
    }

    Map<String, String> labels() throws MalformedMetricsException {
      Map<String, String> labels = new LinkedHashMap<>();
      int open = skipBlanks(t, i, end);
      if (open >= end || t.charAt(open) != '{') return labels;
      i = open + 1;
      while (true) {
        i = skipBlanks(t, i, end);
        if (i >= end) throw bad(lineNo, "labels not closed");
        if (t.charAt(i) == '}') { i++; return labels; }
        int nameFrom = i;
        while (i < end && isLabelChar(t.charAt(i), i == nameFrom)) i++;
        if (i == nameFrom) throw bad(lineNo, "expected a label name at column " + (i + 1));
        String label = t.subSequence(nameFrom, i).toString();
        i = skipBlanks(t, i, end);
        if (i >= end || t.charAt(i) != '=') throw bad(lineNo, "expected '=' after label " + label);
        i = skipBlanks(t, i + 1, end);
        if (i >= end || t.charAt(i) != '"') throw bad(lineNo, "expected '\"' to open the value of label " + label);
        i++;
        StringBuilder value = new StringBuilder();
        while (true) {
          if (i >= end) throw bad(lineNo, "the value of label " + label + " is not closed");
          char c = t.charAt(i++);
          if (c == '"') break;
          if (c == '\\') {
            if (i >= end) throw bad(lineNo, "a '\\' ends the line");
            char e = t.charAt(i++);
            switch (e) {
              case '\\' -> value.append('\\');
              case '"' -> value.append('"');
              case 'n' -> value.append('\n');
              default -> throw bad(lineNo, "unknown escape '\\" + e + "' in label " + label);
            }
          } else {
            value.append(c);
          }
        }
        if (labels.put(label, value.toString()) != null) throw bad(lineNo, "label " + label + " given twice");
        i = skipBlanks(t, i, end);
        if (i < end && t.charAt(i) == ',') i++;
        else if (i < end && t.charAt(i) != '}') throw bad(lineNo, "expected ',' or '}' after label " + label);
      }
    }

    /** The value; then an optional timestamp and an optional exemplar, checked and dropped. */
    double valueAndRest() throws MalformedMetricsException {
      if (i >= end || (t.charAt(i) != ' ' && t.charAt(i) != '\t')) {
        if (i >= end) throw bad(lineNo, "no value");
        throw bad(lineNo, "expected a space before the value");
      }
      String value = token();
      if (value.isEmpty()) throw bad(lineNo, "no value");
      double v = number(value, "value");
      String ts = token();
      if (ts.isEmpty()) return v;
      if (ts.equals("#")) return v; // OpenMetrics exemplar without a timestamp before it
      number(ts, "timestamp");
      String more = token();
      if (more.isEmpty() || more.equals("#")) return v;
      throw bad(lineNo, "unexpected '" + clip(more) + "' after the timestamp");
    }

    private String token() {
      i = skipBlanks(t, i, end);
      int from = i;
      while (i < end && t.charAt(i) != ' ' && t.charAt(i) != '\t') i++;
      return t.subSequence(from, i).toString();
    }

    private double number(String s, String what) throws MalformedMetricsException {
      switch (s) {
        case "NaN": return Double.NaN;
        case "+Inf": case "Inf": case "+inf": case "inf": return Double.POSITIVE_INFINITY;
        case "-Inf": case "-inf": return Double.NEGATIVE_INFINITY;
        default:
      }
      if (s.length() > 64 || !NUMBER.matcher(s).matches()) throw bad(lineNo, "the " + what + " '" + clip(s) + "' is not a number");
      return Double.parseDouble(s);
    }

    private static boolean isLabelChar(char c, boolean first) {
      return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9');
    }

    private static String clip(String s) { return s.length() > 40 ? s.substring(0, 40) + "..." : s; }
  }
}
