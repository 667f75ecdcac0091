package dev.edgeppo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.agent.AgentOptions;
import dev.edgeppo.json.Json;
import dev.edgeppo.ppo.CpuBackend;
import dev.edgeppo.ppo.Hyperparameters;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.server.AgentMetrics;
import dev.edgeppo.telemetry.SampledTelemetry;
import dev.edgeppo.telemetry.SimTelemetry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * README.md and docs/*.md against the code (issue 22): every command, flag, configuration key, metric,
 * environment variable, Java name, repository path and link they name exists. Other pages added to
 * docs/ are checked by the same rules, without being listed here. The rules themselves are tested on
 * made-up pages in {@link DocTruthRulesTest}.
 */
class DocTruthTest {
  static final Path ROOT = Path.of("").toAbsolutePath();
  static DocTruth truth;
  static Map<Path, MarkdownPage> pages;
  static MarkdownPage readme;

  @BeforeAll
  static void readTheCodeAndThePages() throws Exception {
    truth = truthOf(ROOT);
    pages = new LinkedHashMap<>();
    readme = MarkdownPage.read(ROOT.resolve("README.md"));
    pages.put(readme.path.toAbsolutePath().normalize(), readme);
    try (Stream<Path> s = Files.list(ROOT.resolve("docs"))) {
      for (Path p : s.filter(p -> p.toString().endsWith(".md")).sorted().toList())
        pages.put(p.toAbsolutePath().normalize(), MarkdownPage.read(p));
    }
    assertTrue(pages.size() >= 8, "README.md and the docs/ pages: " + pages.keySet());
  }

  static DocTruth truthOf(Path root) throws Exception {
    return new DocTruth(root, DocTruth.commandLine(), exposedMetrics(), agentKeys(), ServeConfig.hyperparameterDefaults(),
        profiles(), DocTruth.makeTargets(root.resolve("Makefile")), DocTruth.corpus(root), DocTruth.javaFiles(root));
  }

  /** What /metrics shows on serve's own composition: the sampler over the simulated node. */
  static Set<String> exposedMetrics() throws IOException {
    try (SampledTelemetry t = SampledTelemetry.start(new SimTelemetry(), Duration.ofMillis(250), Duration.ofSeconds(2))) {
      AgentCore core = new AgentCore(PpoLearner.fresh(Hyperparameters.defaults(), new CpuBackend(), 1), t,
          AgentOptions.defaults().with(b -> b.trainInline(true)));
      try {
        return new AgentMetrics(core).names();
      } finally {
        core.close();
      }
    }
  }

  static Map<String, String> agentKeys() {
    Map<String, String> out = new LinkedHashMap<>();
    ServeConfig.AGENT_KEYS.forEach((k, v) -> out.put(k, v[0]));
    return out;
  }

  static Map<String, Map<String, Object>> profiles() {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    for (String name : Hyperparameters.profiles())
      out.put(name, Json.MAPPER.convertValue(Hyperparameters.profile(name), new TypeReference<LinkedHashMap<String, Object>>() {}));
    return out;
  }

  private static void everyPage(String what, Function<MarkdownPage, List<String>> rule) {
    List<String> problems = new ArrayList<>();
    for (MarkdownPage p : pages.values()) problems.addAll(rule.apply(p));
    assertEquals(List.of(), problems, what + ":\n" + String.join("\n", problems) + "\n");
  }

  @Test
  void commandsAndTheirFlagsExist() { everyPage("edgeppo commands and flags the CLI does not have", truth::commands); }

  @Test
  void flagsNamedOnTheirOwnExist() { everyPage("flags no command has", truth::standaloneFlags); }

  @Test
  void metricsAreExposed() { everyPage("metrics /metrics does not expose", truth::metrics); }

  @Test
  void environmentVariablesAreRead() { everyPage("EDGEPPO_* variables nothing reads", truth::environment); }

  @Test
  void snakeCaseNamesExist() { everyPage("names the code does not have", truth::names); }

  @Test
  void repositoryPathsExist() { everyPage("paths that do not exist", truth::paths); }

  @Test
  void javaNamesExist() { everyPage("Java names that do not exist", truth::javaNames); }

  @Test
  void quotedLogLinesAreWritten() { everyPage("log lines the code does not write", truth::logLines); }

  @Test
  void packageTablesNameEveryPackage() {
    everyPage("package tables that differ from src/main/java/dev/edgeppo", p -> {
      try {
        return truth.packageTables(p);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  @Test
  void makeTargetsExist() { everyPage("make targets the Makefile does not have", truth::make); }

  @Test
  void linksResolve() { everyPage("broken links", p -> truth.links(p, pages)); }

  @Test
  void theTreePointsAtSectionsThatExist() throws IOException {
    List<String> problems = truth.referencesFromTheTree(pages);
    assertEquals(List.of(), problems, "README/docs references in the tree that lead nowhere:\n" + String.join("\n", problems) + "\n");
  }

  @Test
  void everyPageIsReachableFromTheReadme() {
    assertEquals(List.of(), DocTruth.unreachable(readme, pages), "docs/ pages no link from README.md reaches");
  }

  @Test
  void readmeStaysAFrontDoor() {
    long lines = readme.text.lines().count();
    assertTrue(lines <= 300, "README.md has " + lines + " lines; issue 22 keeps it at 300 at most: move depth to docs/");
    assertTrue(readme.code.stream().anyMatch(c -> c.text().equals("make test")), "README's test command is `make test` (.ci/run calls it)");
  }

  /**
   * agent.md's HTTP API table names exactly the body fields the router accepts (Router's field sets,
   * read by reflection: they are the parser's own lists).
   */
  @Test
  void httpApiTableNamesTheBodyFields() throws Exception {
    MarkdownPage agent = pages.get(ROOT.resolve("docs/agent.md"));
    MarkdownPage.Table api = agent.tables.stream().filter(t -> t.header().get(0).equals("endpoint")).findFirst().orElseThrow();
    Map<String, Set<String>> want = Map.of(
        "POST /allocate", union(routerFields("ALLOCATE_FIELDS"), routerFields("SLO_FIELDS")),
        "POST /feedback", routerFields("FEEDBACK_FIELDS"));
    for (Map.Entry<String, Set<String>> e : want.entrySet()) {
      List<String> row = api.rows().stream().filter(r -> r.get(0).equals("`" + e.getKey() + "`")).findFirst()
          .orElseThrow(() -> new AssertionError("docs/agent.md's HTTP API table has no row for " + e.getKey()));
      Set<String> named = new java.util.TreeSet<>();
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("`([a-z][a-z_]*)`").matcher(row.get(1));
      while (m.find()) named.add(m.group(1));
      assertEquals(new java.util.TreeSet<>(e.getValue()), named, "body fields of " + e.getKey() + " in docs/agent.md against Router");
    }
  }

  @SuppressWarnings("unchecked")
  private static Set<String> routerFields(String name) throws Exception {
    java.lang.reflect.Field f = Class.forName("dev.edgeppo.server.Router").getDeclaredField(name);
    f.setAccessible(true);
    return (Set<String>) f.get(null);
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> out = new java.util.HashSet<>(a);
    out.addAll(b);
    return out;
  }

  /** README's commands at a glance name every command `bin/edgeppo --help` lists. */
  @Test
  void readmeListsEveryCommand() {
    List<String> missing = new ArrayList<>();
    for (String name : truth.cli.subcommands().keySet())
      if (!name.equals("help") && readme.code.stream().noneMatch(c -> c.text().startsWith("edgeppo " + name)))
        missing.add(name);
    assertEquals(List.of(), missing, "commands README.md's 'Commands at a glance' does not list as `edgeppo NAME ...`");
  }

  /**
   * agent.md's configuration table: every key serve accepts, each once, with the code's default.
   * {@code -Dedgeppo.writeConfigTable=true} (`make config-table`) rewrites its rows from the code first,
   * keeping each kept key's description: a new key then needs only its description reviewed.
   */
  @Test
  void configurationTableMatchesTheCode() throws IOException {
    Path file = ROOT.resolve("docs/agent.md");
    MarkdownPage agent = pages.get(file);
    List<MarkdownPage.Table> tables = configTables(agent);
    assertEquals(1, tables.size(), "docs/agent.md has one configuration table under ## Configuration");
    if (Boolean.getBoolean("edgeppo.writeConfigTable")) {
      MarkdownPage.Table t = tables.get(0);
      List<String> lines = new ArrayList<>(List.of(agent.text.split("\n", -1)));
      int first = t.line() + 1; // 0-based index of the first row: the header's line (1-based) + the separator
      for (int i = 0; i < t.rows().size(); i++) lines.remove(first);
      lines.addAll(first, truth.configTableRows(t));
      Files.writeString(file, String.join("\n", lines));
      System.out.println("rewrote the configuration table of " + file);
      agent = MarkdownPage.read(file);
      tables = configTables(agent);
    }
    List<String> problems = truth.configTable(agent, tables.get(0));
    assertEquals(List.of(), problems, String.join("\n", problems) + "\n(make config-table rewrites the rows from the code)");
  }

  private static List<MarkdownPage.Table> configTables(MarkdownPage agent) {
    return agent.tables.stream().filter(t -> t.section().equals("Configuration") && t.header().get(0).equals("key")).toList();
  }

  /** Every table that compares the profiles (| key | seed | edge |) states their values as the code has them. */
  @Test
  void profileTablesMatchTheCode() {
    List<String> problems = new ArrayList<>();
    int checked = 0;
    for (MarkdownPage p : pages.values())
      for (MarkdownPage.Table t : p.tables)
        if (t.header().stream().anyMatch(h -> truth.profiles.containsKey(h.replace("`", "").strip()))) {
          problems.addAll(truth.profileTable(p, t));
          checked++;
        }
    assertTrue(checked >= 1, "no table compares the profiles; learning.md has one");
    assertEquals(List.of(), problems, String.join("\n", problems));
  }
}
