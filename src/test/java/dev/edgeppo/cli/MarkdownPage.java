package dev.edgeppo.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Markdown page, read as far as the doc-truth checks need: its code (inline spans and the lines of
 * code blocks), its links, its headings' anchors and its tables, each with the line it starts on. Not a
 * Markdown renderer: it reads the subset README.md and docs/ use (GitHub-flavoured spans, indented and
 * fenced blocks, pipe tables).
 */
final class MarkdownPage {
  /** A piece of text with the page line it starts on; {@code block} for a line of a code block. */
  record Code(String text, int line, boolean block) {}

  record Link(String target, int line) {}

  /** A pipe table: its header cells, its rows' cells, the line of the header, the heading above it. */
  record Table(List<String> header, List<List<String>> rows, int line, String section) {}

  private static final Pattern SPAN = Pattern.compile("`([^`]+)`");
  private static final Pattern LINK = Pattern.compile("!?\\[([^\\]]*)\\]\\(([^)\\s]+)\\)");

  final Path path;
  final String text;
  final List<Code> code = new ArrayList<>();
  final List<Link> links = new ArrayList<>();
  final Set<String> anchors = new LinkedHashSet<>();
  final List<String> headings = new ArrayList<>();
  final List<Table> tables = new ArrayList<>();
  /** Everything outside code blocks, line breaks kept, for spans that wrap and for prose checks. */
  final String prose;

  static MarkdownPage read(Path path) throws IOException {
    return new MarkdownPage(path, Files.readString(path));
  }

  MarkdownPage(Path path, String text) {
    this.path = path;
    this.text = text;
    String[] lines = text.split("\n", -1);
    StringBuilder outside = new StringBuilder();
    Map<String, Integer> slugs = new HashMap<>();
    boolean fenced = false, indented = false, prevBlank = true;
    String section = "";
    List<String> tableLines = new ArrayList<>();
    int tableStart = 0;
    for (int i = 0; i < lines.length; i++) {
      String l = lines[i];
      int lineNo = i + 1;
      if (l.startsWith("```")) {
        fenced = !fenced;
        outside.append('\n');
        continue;
      }
      boolean codeLine = fenced || ((l.startsWith("    ") || l.startsWith("\t")) && (prevBlank || indented));
      indented = !fenced && codeLine;
      prevBlank = l.isBlank();
      if (codeLine) {
        code.add(new Code(l.strip(), lineNo, true));
        outside.append('\n');
        continue;
      }
      outside.append(l).append('\n');
      if (l.startsWith("#")) {
        section = l.replaceFirst("^#+\\s*", "");
        headings.add(section);
        String slug = slug(section);
        int n = slugs.merge(slug, 1, Integer::sum);
        anchors.add(n == 1 ? slug : slug + "-" + (n - 1));
      }
      if (l.startsWith("|")) {
        if (tableLines.isEmpty()) tableStart = lineNo;
        tableLines.add(l);
      }
      if (!l.startsWith("|") || i == lines.length - 1) {
        if (tableLines.size() >= 2) tables.add(table(tableLines, tableStart, section));
        tableLines.clear();
      }
    }
    prose = outside.toString();
    Matcher s = SPAN.matcher(prose);
    while (s.find()) code.add(new Code(s.group(1).replace('\n', ' ').strip(), lineOf(prose, s.start()), false));
    Matcher k = LINK.matcher(prose);
    while (k.find()) links.add(new Link(k.group(2), lineOf(prose, k.start())));
  }

  private static Table table(List<String> lines, int start, String section) {
    List<List<String>> rows = new ArrayList<>();
    for (String l : lines.subList(2, lines.size())) rows.add(cells(l));
    return new Table(cells(lines.get(0)), rows, start, section);
  }

  /** A row's cells; a pipe inside a code span (`a|b`) does not split. */
  static List<String> cells(String row) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean inSpan = false;
    String r = row.strip();
    if (r.startsWith("|")) r = r.substring(1);
    if (r.endsWith("|")) r = r.substring(0, r.length() - 1);
    for (char c : r.toCharArray()) {
      if (c == '`') inSpan = !inSpan;
      if (c == '|' && !inSpan) {
        out.add(cur.toString().strip());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString().strip());
    return out;
  }

  /** GitHub's heading anchor: lower case, punctuation but '-' and '_' dropped, spaces to '-'. */
  static String slug(String heading) {
    String s = heading.strip().toLowerCase(Locale.ROOT);
    StringBuilder out = new StringBuilder();
    s.codePoints().forEach(c -> {
      if (Character.isLetterOrDigit(c) || c == '-' || c == '_') out.appendCodePoint(c);
      else if (c == ' ') out.append('-');
    });
    return out.toString();
  }

  /** Whether a heading begins with this title (backticks, case and line breaks in the title ignored). */
  boolean hasSectionStarting(String title) {
    String t = normal(title);
    return !t.isEmpty() && headings.stream().anyMatch(h -> normal(h).startsWith(t));
  }

  private static String normal(String s) {
    return s.replaceAll("\\s*\\n[\\s*#/]*", " ").replace("`", "").strip().toLowerCase(Locale.ROOT);
  }

  private static int lineOf(String s, int offset) {
    int n = 1;
    for (int i = 0; i < offset; i++) if (s.charAt(i) == '\n') n++;
    return n;
  }

  String where(int line) { return path + ":" + line; }
}
