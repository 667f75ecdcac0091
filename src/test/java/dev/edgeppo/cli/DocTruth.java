package dev.edgeppo.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * What README.md and docs/ may name, and the rules that check a page against it. The truth is the code:
 * the picocli model of {@link Main} and its subcommands (what {@code --help} prints), the metric names
 * {@code /metrics} exposes, {@link ServeConfig}'s keys and the profiles' hyperparameters, the Makefile's
 * targets and the repository's files. Each rule returns one line per problem, naming the page and line.
 */
final class DocTruth {
  /** Where repository paths start; a path under any other top-level name (target/, bin/) is a build output. */
  static final Pattern REPO_PATH = Pattern.compile(
      "(?<![\\w./-])(?:src|tools|deploy|benchmarks|bindings|native|cuda-kernels|docs|\\.ci)/[\\w./*{}-]*");
  /** The launcher, by name or by a path ending in bin/edgeppo. */
  private static final Pattern EDGEPPO = Pattern.compile("(?<![\\w./-])(?:[\\w./-]*bin/)?edgeppo(?=\\s)");
  /** What may stand before a command: nothing, or the end of another one ("make run  # = bin/edgeppo ..."). */
  private static final Pattern COMMAND_START = Pattern.compile("(?:^|.*(?:[#=;|(]|&&|\\$))$");
  private static final Pattern END_OF_COMMAND = Pattern.compile("\\s#|\\s\\|\\s|&&|;|\\$\\(");
  private static final Pattern METRIC = Pattern.compile("(?<![\\w.-])edgeppo_[a-z0-9_]+");
  private static final Pattern DCGM = Pattern.compile("(?<![\\w])DCGM_FI_[A-Z0-9_]*[A-Z0-9]");
  private static final Pattern ENV = Pattern.compile("(?<![\\w$])EDGEPPO_[A-Z0-9_]*[A-Z0-9](?![\\w*])");
  private static final Pattern SNAKE = Pattern.compile("[a-z][a-z0-9]*(?:_[a-z0-9]+)+");
  private static final Pattern TEST_CLASS = Pattern.compile("(?<![\\w.])[A-Z][A-Za-z0-9]*(?:Test|Benchmark)(?![\\w])");
  private static final Pattern QUALIFIED = Pattern.compile("dev\\.edgeppo(?:\\.\\w+)+");
  private static final Pattern MEMBER = Pattern.compile("([A-Z][A-Za-z0-9]*)[.#]([A-Za-z_][A-Za-z0-9_]*)(?:\\(\\))?");
  private static final Pattern MAKE = Pattern.compile("(?<![\\w./-])make\\s+(.*)");

  final Path root;
  final CommandSpec cli;
  /** The metrics a scrape of serve's usual composition shows. */
  final Set<String> metrics;
  final Map<String, String> agentKeys;          // key -> default (null: unset)
  final Map<String, Object> hyperparameters;    // key -> serve's default
  final Map<String, Map<String, Object>> profiles;
  final Set<String> makeTargets;
  /** The repository's source text (README.md and docs/ excluded), for names that exist only as strings. */
  final String corpus;
  /** Java file names (without .java) to their paths, main, test and benchmarks. */
  final Map<String, List<Path>> javaFiles;
  /** src/main/java's text: where conditionally registered metrics are spelled. */
  final String mainSource;
  /**
   * The corpus's whole words (letters, digits, '_') and options (--a-b): a name must be one of them, not
   * a piece of a longer one (observe_period is not observe_period_seconds).
   */
  final Set<String> corpusWords;

  DocTruth(Path root, CommandSpec cli, Set<String> metrics, Map<String, String> agentKeys, Map<String, Object> hyperparameters,
      Map<String, Map<String, Object>> profiles, Set<String> makeTargets, String corpus, Map<String, List<Path>> javaFiles) {
    this.root = root;
    this.cli = cli;
    this.metrics = metrics;
    this.agentKeys = agentKeys;
    this.hyperparameters = hyperparameters;
    this.profiles = profiles;
    this.makeTargets = makeTargets;
    this.corpus = corpus;
    this.javaFiles = javaFiles;
    StringBuilder main = new StringBuilder();
    for (List<Path> ps : javaFiles.values())
      for (Path p : ps)
        if (p.startsWith(root.resolve("src/main/java"))) {
          try {
            main.append(Files.readString(p)).append('\n');
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
    this.mainSource = main.toString();
    this.corpusWords = new HashSet<>(List.of(corpus.split("[^A-Za-z0-9_]+")));
    Matcher options = Pattern.compile("(?<![\\w-])--[A-Za-z0-9][A-Za-z0-9-]*").matcher(corpus);
    while (options.find()) corpusWords.add(options.group());
  }

  // ---- the truth, read from the code ----

  static CommandSpec commandLine() { return Main.commandLine().getCommandSpec(); }

  static Set<String> makeTargets(Path makefile) throws IOException {
    Set<String> out = new HashSet<>();
    Matcher m = Pattern.compile("(?m)^([A-Za-z][\\w.-]*)\\s*:(?!=)").matcher(Files.readString(makefile));
    while (m.find()) out.add(m.group(1));
    return out;
  }

  private static final Set<String> CORPUS_EXTENSIONS = Set.of("java", "sh", "py", "mjs", "js", "json", "yaml", "yml", "c", "h",
      "cu", "cuh", "cpp", "proto", "txt", "csv", "xml", "md", "symbols", "properties", "conf");

  /** The repository's text files, README.md and docs/ left out, so a page cannot vouch for itself. */
  static String corpus(Path root) throws IOException {
    StringBuilder sb = new StringBuilder();
    List<String> tops = List.of("src", "tools", "benchmarks", "native", "cuda-kernels", "deploy", "bindings", ".ci");
    for (String top : tops) {
      Path dir = root.resolve(top);
      if (!Files.isDirectory(dir)) continue;
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.filter(Files::isRegularFile).filter(DocTruth::isSource).toList()) sb.append(readLenient(p)).append('\n');
      }
    }
    for (String f : List.of("Makefile", "pom.xml", "cuda-kernels/Makefile", "native/Makefile")) {
      Path p = root.resolve(f);
      if (Files.isRegularFile(p)) sb.append(readLenient(p)).append('\n');
    }
    return sb.toString();
  }

  private static boolean isSource(Path p) {
    String s = p.toString();
    // The doc-truth classes' own examples are made up on purpose: they must not vouch for a name.
    if (p.getFileName().toString().matches("(?:DocTruth|MarkdownPage).*")) return false;
    if (s.contains("/target/") || s.contains("/node_modules/") || s.contains("/build/")) return false;
    String name = p.getFileName().toString();
    int dot = name.lastIndexOf('.');
    if (name.equals("Makefile") || name.equals("run")) return true;
    try {
      return dot > 0 && CORPUS_EXTENSIONS.contains(name.substring(dot + 1)) && Files.size(p) < 4_000_000;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String readLenient(Path p) throws IOException {
    return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
        .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(p))).toString();
  }

  static Map<String, List<Path>> javaFiles(Path root) throws IOException {
    Map<String, List<Path>> out = new HashMap<>();
    for (String top : List.of("src/main/java", "src/test/java", "benchmarks/src")) {
      Path dir = root.resolve(top);
      if (!Files.isDirectory(dir)) continue;
      try (Stream<Path> s = Files.walk(dir)) {
        s.filter(p -> p.toString().endsWith(".java")).forEach(p -> out.computeIfAbsent(
            p.getFileName().toString().replace(".java", ""), k -> new ArrayList<>()).add(p));
      }
    }
    return out;
  }

  // ---- the rules ----

  /** Every {@code edgeppo SUB ... --flag} names a subcommand that exists and flags that subcommand has. */
  List<String> commands(MarkdownPage page) {
    List<String> out = new ArrayList<>();
    for (MarkdownPage.Code c : page.code) {
      Matcher m = EDGEPPO.matcher(c.text());
      while (m.find())
        if (COMMAND_START.matcher(c.text().substring(0, m.start()).strip()).matches()) checkCommand(c.text().substring(m.end()), page, c, out);
      // A span that starts with a subcommand's name (`serve --mode infer`) is that subcommand's command line.
      String first = c.text().split("\\s+")[0];
      if (!c.block() && cli.subcommands().containsKey(first) && !first.equals("help")) checkCommand(c.text(), page, c, out);
    }
    return out;
  }

  private void checkCommand(String rest, MarkdownPage page, MarkdownPage.Code c, List<String> out) {
    Matcher end = END_OF_COMMAND.matcher(rest);
    if (end.find()) rest = rest.substring(0, end.start());
    CommandSpec cmd = cli;
    boolean flagsSeen = false;
    for (String raw : rest.strip().split("\\s+")) {
      String t = raw.replaceAll("^[\\[(]+", "").replaceAll("[\\]),.:;]+$", "");
      if (t.isEmpty() || t.equals("…") || t.equals("...")) continue;
      if (t.startsWith("--")) {
        flagsSeen = true;
        String flag = t.split("=", 2)[0];
        if (cmd.findOption(flag) == null)
          out.add(page.where(c.line()) + ": `" + flag + "` is not an option of `" + qualified(cmd) + "` (in `" + c.text() + "`)");
      } else if (!flagsSeen && t.matches("[a-z][a-z0-9-]*") && !cmd.subcommands().isEmpty()) {
        CommandLine sub = cmd.subcommands().get(t);
        if (sub != null) cmd = sub.getCommandSpec();
        else if (cmd == cli) {
          out.add(page.where(c.line()) + ": `edgeppo " + t + "` is not a command (in `" + c.text() + "`)");
          return; // its flags cannot be judged
        }
        else flagsSeen = true; // a positional value: what follows is not a subcommand
      } else {
        flagsSeen = true;
      }
    }
  }

  private static String qualified(CommandSpec cmd) { return cmd.qualifiedName(" "); }

  /**
   * A span that is a flag on its own (`--pending-ttl-seconds`, `--mode infer`) names an option of some
   * edgeppo command, or of a script in the tree (tools/setup.sh's `--image`).
   */
  List<String> standaloneFlags(MarkdownPage page) {
    Set<String> all = new HashSet<>();
    collectOptions(cli, all);
    List<String> out = new ArrayList<>();
    for (MarkdownPage.Code c : page.code) {
      if (c.block() || !c.text().startsWith("--")) continue;
      String flag = c.text().split("[\\s=]", 2)[0].replaceAll("[\\],.:;)]+$", "");
      if (!all.contains(flag) && !corpusWords.contains(flag))
        out.add(page.where(c.line()) + ": `" + flag + "` is an option of no edgeppo command and of no script in the tree");
    }
    return out;
  }

  private static void collectOptions(CommandSpec cmd, Set<String> into) {
    for (OptionSpec o : cmd.options()) into.addAll(List.of(o.names()));
    for (CommandLine sub : cmd.subcommands().values()) collectOptions(sub.getCommandSpec(), into);
  }

  /** Every edgeppo_* and DCGM_FI_* name is one /metrics exposes ({@code edgeppo_train_{a,b}} is two names). */
  List<String> metrics(MarkdownPage page) {
    List<String> out = new ArrayList<>();
    String text = page.text;
    Matcher m = METRIC.matcher(text);
    while (m.find()) {
      List<String> names = new ArrayList<>();
      String name = m.group();
      int after = m.end();
      if (name.endsWith("_") && after < text.length() && text.charAt(after) == '{') {
        int close = text.indexOf('}', after);
        Matcher tail = Pattern.compile("[a-z0-9_]*").matcher(text).region(close + 1, text.length());
        String suffix = tail.lookingAt() ? tail.group() : "";
        for (String part : text.substring(after + 1, close).split(",")) names.add(name + part.strip() + suffix);
      } else {
        names.add(name);
      }
      for (String n : names)
        if (!isMetric(n)) out.add(page.where(lineOf(text, m.start())) + ": metric `" + n + "` is not exposed by /metrics");
    }
    Matcher d = DCGM.matcher(text);
    while (d.find())
      if (!isMetric(d.group())) out.add(page.where(lineOf(text, d.start())) + ": metric `" + d.group() + "` is not exposed by /metrics");
    return out;
  }

  /**
   * Exposed by the scrape, or registered only in some configurations (serve --fleet's metrics): then the
   * name is a string literal of src/main/java, as AgentMetrics registers it.
   */
  private boolean isMetric(String name) {
    return metrics.contains(name) || mainSource.contains("\"" + name + "\"");
  }

  /** Every EDGEPPO_* variable is a configuration key's, or one the tree reads (EDGEPPO_NVML_LIBRARY, ...). */
  List<String> environment(MarkdownPage page) {
    Set<String> keys = new HashSet<>();
    agentKeys.keySet().forEach(k -> keys.add(ServeConfig.env(k)));
    hyperparameters.keySet().forEach(k -> keys.add(ServeConfig.env(k)));
    List<String> out = new ArrayList<>();
    Matcher m = ENV.matcher(page.text);
    while (m.find()) {
      String v = m.group();
      if (!keys.contains(v) && !corpusWords.contains(v))
        out.add(page.where(lineOf(page.text, m.start())) + ": `" + v + "` is neither a configuration key's variable nor read anywhere in the tree");
    }
    return out;
  }

  /**
   * A span that is one snake_case name (`pending_ttl_seconds`, `qos_met`) is a configuration key, a
   * hyperparameter, or a name the tree spells that way or in camelCase (JSON fields, reasons, columns).
   */
  List<String> names(MarkdownPage page) {
    List<String> out = new ArrayList<>();
    for (MarkdownPage.Code c : page.code) {
      String t = c.text();
      if (c.block() || !SNAKE.matcher(t).matches()) continue;
      if (agentKeys.containsKey(t) || hyperparameters.containsKey(t) || corpusWords.contains(t) || corpusWords.contains(camel(t))) continue;
      out.add(page.where(c.line()) + ": `" + t + "` is no configuration key, hyperparameter or name in the code");
    }
    return out;
  }

  static String camel(String snake) {
    StringBuilder sb = new StringBuilder();
    boolean up = false;
    for (char ch : snake.toCharArray()) {
      if (ch == '_') up = true;
      else {
        sb.append(up ? Character.toUpperCase(ch) : ch);
        up = false;
      }
    }
    return sb.toString();
  }

  /** Every repository path in code or in a link (src/..., tools/..., deploy/..., docs/...) exists; a glob matches something. */
  List<String> paths(MarkdownPage page) {
    List<String> out = new ArrayList<>();
    for (MarkdownPage.Code c : page.code) {
      Matcher m = REPO_PATH.matcher(c.text());
      while (m.find()) {
        String p = m.group().replaceAll("[.,:;]+$", "");
        if (p.matches("(?:.*/)?(?:target|build)(?:/.*)?")) continue; // what a build leaves, not the repository's
        if (c.text().startsWith("kubectl") && p.matches("deploy/[^./]+")) continue; // kubectl's deploy/NAME: a Deployment
        if (!exists(p)) out.add(page.where(c.line()) + ": `" + p + "` does not exist in the repository");
      }
    }
    return out;
  }

  boolean exists(String repoPath) {
    if (!repoPath.contains("*") && !repoPath.contains("{")) return Files.exists(root.resolve(repoPath));
    int slash = repoPath.lastIndexOf('/', repoPath.indexOf(repoPath.contains("*") ? '*' : '{'));
    Path dir = root.resolve(repoPath.substring(0, slash));
    if (!Files.isDirectory(dir)) return false;
    PathMatcher pm = FileSystems.getDefault().getPathMatcher("glob:" + repoPath.substring(slash + 1));
    try (Stream<Path> s = Files.list(dir)) {
      return s.anyMatch(p -> pm.matches(p.getFileName()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Java names: a *Test or *Benchmark class exists; a dev.edgeppo.x.Y type exists; `Type.member` of a type
   * in the tree names a member its file has.
   */
  List<String> javaNames(MarkdownPage page) {
    List<String> out = new ArrayList<>();
    Matcher t = TEST_CLASS.matcher(page.prose);
    while (t.find())
      if (!javaFiles.containsKey(t.group())) out.add(page.where(lineOf(page.prose, t.start())) + ": class `" + t.group() + "` does not exist");
    for (MarkdownPage.Code c : page.code) {
      if (c.block()) continue;
      Matcher q = QUALIFIED.matcher(c.text());
      while (q.find()) if (!qualifiedExists(q.group())) out.add(page.where(c.line()) + ": `" + q.group() + "` is no type in src/main/java");
      Matcher m = MEMBER.matcher(c.text());
      if (m.matches() && javaFiles.containsKey(m.group(1))) {
        boolean found = false;
        for (Path p : javaFiles.get(m.group(1))) {
          try {
            found |= Pattern.compile("\\b" + Pattern.quote(m.group(2)) + "\\b").matcher(Files.readString(p)).find();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
        if (!found) out.add(page.where(c.line()) + ": `" + c.text() + "`: " + m.group(1) + " has no member " + m.group(2));
      }
    }
    return out;
  }

  private boolean qualifiedExists(String name) {
    String[] parts = name.split("\\.");
    StringBuilder path = new StringBuilder("src/main/java");
    for (String part : parts) {
      path.append('/').append(part);
      if (Files.isRegularFile(root.resolve(path + ".java"))) return true;
    }
    return Files.isDirectory(root.resolve(path.toString()));
  }

  /** `make X` names a target of the Makefile. */
  List<String> make(MarkdownPage page) {
    List<String> out = new ArrayList<>();
    for (MarkdownPage.Code c : page.code) {
      Matcher m = MAKE.matcher(c.text());
      if (!m.find()) continue;
      String[] tokens = m.group(1).strip().split("\\s+");
      for (int i = 0; i < tokens.length; i++) {
        String tok = tokens[i].replaceAll("[),.:;`]+$", "");
        if (tok.startsWith("-")) {
          if (tok.equals("-C")) i++;
          if (tok.equals("-C")) break; // another directory's Makefile
          continue;
        }
        if (tok.contains("=") || tok.isEmpty()) continue;
        if (tok.startsWith("#")) break;
        if (!makeTargets.contains(tok)) out.add(page.where(c.line()) + ": `make " + tok + "`: the Makefile has no target " + tok);
        break;
      }
    }
    return out;
  }

  /** Every relative link and image resolves, anchors included. */
  List<String> links(MarkdownPage page, Map<Path, MarkdownPage> pages) {
    List<String> out = new ArrayList<>();
    for (MarkdownPage.Link l : page.links) {
      String target = l.target();
      if (target.matches("^[a-z]+:.*")) continue; // http:, https:, mailto:
      String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
      String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
      Path resolved = file.isEmpty() ? page.path : page.path.toAbsolutePath().getParent().resolve(file).normalize();
      if (!Files.exists(resolved)) {
        out.add(page.where(l.line()) + ": link to " + target + ": no such file");
        continue;
      }
      if (anchor != null && resolved.toString().endsWith(".md")) {
        MarkdownPage other = pages.get(resolved.toAbsolutePath().normalize());
        if (other == null) {
          try {
            other = MarkdownPage.read(resolved);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
        if (!other.anchors.contains(anchor))
          out.add(page.where(l.line()) + ": link to " + target + ": no heading with anchor #" + anchor + " (there are " + other.anchors + ")");
      }
    }
    return out;
  }

  /** A page named in the tree, with an anchor or a quoted section after it: README "Quick start", docs/agent.md#durability. */
  private static final Pattern DOC_REFERENCE = Pattern.compile(
      "(?<![\\w/.-])(README(?:\\.md)?|docs/[\\w-]+\\.md)(?:#([\\w-]+)|(?:[\\s,*/#]|'s)*\"([^\"\\n]+(?:\\n[\\s*#/]*[^\"\\n]+)?)\")?");

  /**
   * The other direction: a source file, script or manifest that points a reader at README.md or a docs/
   * page names a page that exists and, when it names a section (an anchor, or the section's title in
   * quotes), one that page has. A quoted title may be the heading's beginning ("Cold and warm").
   */
  List<String> referencesFromTheTree(Map<Path, MarkdownPage> pages) throws IOException {
    List<String> out = new ArrayList<>();
    List<String> tops = List.of("src", "tools", "benchmarks", "native", "cuda-kernels", "deploy", "bindings", ".ci", "Makefile", "pom.xml");
    for (String top : tops) {
      Path start = root.resolve(top);
      if (!Files.exists(start)) continue;
      List<Path> files;
      try (Stream<Path> s = Files.walk(start)) {
        files = s.filter(Files::isRegularFile).filter(DocTruth::isSource).toList();
      }
      for (Path f : files) {
        String text = readLenient(f);
        Matcher m = DOC_REFERENCE.matcher(text);
        while (m.find()) {
          String where = root.relativize(f) + ":" + lineOf(text, m.start());
          Path page = root.resolve(m.group(1).equals("README") ? "README.md" : m.group(1)).toAbsolutePath().normalize();
          MarkdownPage target = pages.get(page);
          if (target == null) {
            out.add(where + ": names " + m.group(1) + ", which is not README.md or a page in docs/");
            continue;
          }
          if (m.group(2) != null && !target.anchors.contains(m.group(2)))
            out.add(where + ": " + m.group(1) + "#" + m.group(2) + ": no such section");
          if (m.group(3) != null && !target.hasSectionStarting(m.group(3)))
            out.add(where + ": " + m.group(1) + " has no section \"" + m.group(3).replaceAll("\\s*\\n[\\s*#/]*", " ") + "\"");
        }
      }
    }
    return out;
  }

  /** Pages not reachable by links from the first one. */
  static List<Path> unreachable(MarkdownPage start, Map<Path, MarkdownPage> pages) {
    Set<Path> seen = new HashSet<>();
    Deque<MarkdownPage> todo = new ArrayDeque<>();
    todo.add(start);
    seen.add(start.path.toAbsolutePath().normalize());
    while (!todo.isEmpty()) {
      MarkdownPage p = todo.poll();
      for (MarkdownPage.Link l : p.links) {
        String file = l.target().replaceAll("#.*", "");
        if (file.isEmpty() || file.matches("^[a-z]+:.*") || !file.endsWith(".md")) continue;
        Path r = p.path.toAbsolutePath().getParent().resolve(file).normalize();
        MarkdownPage next = pages.get(r);
        if (next != null && seen.add(r)) todo.add(next);
      }
    }
    List<Path> out = new ArrayList<>();
    for (Path p : pages.keySet()) if (!seen.contains(p)) out.add(p);
    return out;
  }

  /**
   * A table with a "log line" column quotes what the agent writes: each quoted line (`…` and a lone N
   * stand for what varies) is spelled that way in src/main, so the operator can grep for it.
   */
  List<String> logLines(MarkdownPage page) {
    List<String> out = new ArrayList<>();
    for (MarkdownPage.Table t : page.tables) {
      int col = -1;
      for (int i = 0; i < t.header().size(); i++) if (t.header().get(i).toLowerCase(java.util.Locale.ROOT).contains("log line")) col = i;
      if (col < 0) continue;
      int line = t.line() + 2;
      for (List<String> row : t.rows()) {
        if (col < row.size()) {
          Matcher span = Pattern.compile("`([^`]+)`").matcher(row.get(col));
          while (span.find()) {
            String quoted = span.group(1);
            if (METRIC.matcher(quoted).find()) continue; // metrics have their own rule
            for (String piece : quoted.split("…|\\bN\\b"))
              if (!piece.isBlank() && !corpus.contains(piece.strip()))
                out.add(page.where(line) + ": the log line `" + quoted + "` is not written anywhere in the code (\"" + piece.strip() + "\")");
          }
        }
        line++;
      }
    }
    return out;
  }

  /**
   * A table whose first column is "package" names every package under src/main/java/dev/edgeppo, and
   * only those: a new package gets its row, a removed one loses it.
   */
  List<String> packageTables(MarkdownPage page) throws IOException {
    Set<String> have = new java.util.TreeSet<>();
    try (Stream<Path> s = Files.list(root.resolve("src/main/java/dev/edgeppo"))) {
      s.filter(Files::isDirectory).forEach(d -> have.add(d.getFileName().toString()));
    }
    List<String> out = new ArrayList<>();
    for (MarkdownPage.Table t : page.tables) {
      if (!t.header().get(0).equals("package")) continue;
      Set<String> named = new java.util.TreeSet<>();
      for (List<String> row : t.rows()) {
        Matcher m = Pattern.compile("`([a-z][a-z0-9]*)`").matcher(row.get(0));
        while (m.find()) named.add(m.group(1));
      }
      for (String p : named) if (!have.contains(p)) out.add(page.where(t.line()) + ": package `" + p + "` does not exist");
      for (String p : have) if (!named.contains(p)) out.add(page.where(t.line()) + ": package `" + p + "` has no row");
    }
    return out;
  }

  // ---- configuration tables ----

  /** Every key serve accepts, in the order its --help lists them, with serve's default (null: unset). */
  Map<String, Object> allKeys() {
    Map<String, Object> all = new LinkedHashMap<>(agentKeys);
    all.putAll(hyperparameters);
    return all;
  }

  /**
   * The configuration table (header "key | default | ...") lists every key serve accepts, no other, each
   * with the code's default. Returns what is wrong, with the row to paste for a missing key.
   */
  List<String> configTable(MarkdownPage page, MarkdownPage.Table table) {
    List<String> out = new ArrayList<>();
    Map<String, Object> want = allKeys();
    Set<String> seen = new HashSet<>();
    int line = table.line() + 2;
    for (List<String> row : table.rows()) {
      String key = row.get(0).replace("`", "").strip();
      if (!want.containsKey(key)) out.add(page.where(line) + ": the configuration table lists `" + key + "`, which serve does not accept");
      else {
        seen.add(key);
        String problem = defaultMismatch(want.get(key), row.size() > 1 ? row.get(1) : "");
        if (problem != null) out.add(page.where(line) + ": `" + key + "`: " + problem);
      }
      line++;
    }
    for (Map.Entry<String, Object> e : want.entrySet())
      if (!seen.contains(e.getKey()))
        out.add(page.where(table.line()) + ": the configuration table misses `" + e.getKey() + "`; add: | `" + e.getKey() + "` | "
            + (e.getValue() == null ? "unset" : e.getValue()) + " | " + help(e.getKey()) + " |");
    return out;
  }

  /**
   * The configuration table's rows as the code has them, in the code's order: a row the page has keeps
   * its description (and its default's wording when the value is the same), a missing key gets the
   * code's help text, a key the code no longer has is dropped. For `make config-table`.
   */
  List<String> configTableRows(MarkdownPage.Table table) {
    Map<String, List<String>> old = new LinkedHashMap<>();
    for (List<String> row : table.rows()) old.put(row.get(0).replace("`", "").strip(), row);
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Object> e : allKeys().entrySet()) {
      List<String> row = old.get(e.getKey());
      String def = row != null && defaultMismatch(e.getValue(), row.get(1)) == null ? row.get(1)
          : e.getValue() == null ? "unset" : String.valueOf(e.getValue());
      String what = row != null && row.size() > 2 ? row.get(2) : help(e.getKey());
      out.add("| `" + e.getKey() + "` | " + def + " | " + what + " |");
    }
    return out;
  }

  private String help(String key) {
    String[] a = ServeConfig.AGENT_KEYS.get(key);
    return a == null ? "(hyperparameter, SPEC §2)" : a[1];
  }

  /** null when the cell states the default; else what is wrong. The cell's first word is compared. */
  static String defaultMismatch(Object want, String cell) {
    String c = cell.replace("`", "").strip();
    if (want == null) return c.startsWith("unset") ? null : "the code's default is unset, the table says " + cell;
    String first = c.split("[\\s:(,;]+", 2)[0];
    if (sameValue(want, first)) return null;
    return "the code's default is " + want + ", the table says " + cell;
  }

  static boolean sameValue(Object want, String written) {
    String w = String.valueOf(want);
    if (w.equalsIgnoreCase(written)) return true;
    try {
      return Double.parseDouble(w) == Double.parseDouble(written);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /**
   * A table whose header names profiles (| key | seed | edge | ...): each row about one key states that
   * profile's value. Rows about several keys at once are prose, not checked.
   */
  List<String> profileTable(MarkdownPage page, MarkdownPage.Table table) {
    List<String> out = new ArrayList<>();
    int line = table.line() + 2;
    for (List<String> row : table.rows()) {
      String key = row.get(0);
      if (key.chars().filter(ch -> ch == '`').count() == 2) {
        key = key.replace("`", "").strip();
        for (int col = 1; col < table.header().size() && col < row.size(); col++) {
          Map<String, Object> profile = profiles.get(table.header().get(col).replace("`", "").strip());
          if (profile == null) continue;
          if (!profile.containsKey(key)) {
            out.add(page.where(line) + ": `" + key + "` is no hyperparameter");
            break;
          }
          String problem = defaultMismatch(profile.get(key), row.get(col));
          if (problem != null) out.add(page.where(line) + ": `" + key + "` in profile " + table.header().get(col) + ": " + problem);
        }
      }
      line++;
    }
    return out;
  }

  static int lineOf(String s, int offset) {
    int n = 1;
    for (int i = 0; i < offset; i++) if (s.charAt(i) == '\n') n++;
    return n;
  }
}
