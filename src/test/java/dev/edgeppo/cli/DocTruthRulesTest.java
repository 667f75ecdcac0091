package dev.edgeppo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The doc-truth rules on made-up pages, against the real code: each rule reports a name the code does not
 * have and passes the true one beside it, so {@link DocTruthTest} passing means the pages are right, not
 * that a rule matched nothing.
 */
class DocTruthRulesTest {
  static DocTruth truth;

  @BeforeAll
  static void readTheCode() throws Exception {
    truth = DocTruthTest.truthOf(DocTruthTest.ROOT);
  }

  private static MarkdownPage page(String text) {
    return new MarkdownPage(Path.of("made-up.md"), text);
  }

  /** The rule reported exactly these problems, one naming each of {@code what}, in any order. */
  private static void reports(List<String> problems, String... what) {
    assertEquals(what.length, problems.size(), "problems reported:\n" + String.join("\n", problems));
    for (String w : what) assertTrue(problems.stream().anyMatch(x -> x.contains(w)), "no problem names " + w + ":\n" + String.join("\n", problems));
  }

  @Test
  void commandsAndFlags() {
    MarkdownPage p = page("""
        Run `bin/edgeppo serve --port 8080 --no-such-flag` or `edgeppo simulate pendulum --steps 10`.

            bin/edgeppo serve --state-dir /tmp/x [--token-file F] | tee log   # --not-checked after a pipe
            edgeppo frobnicate --json
            kubectl -n edgeppo get pods            # a namespace, not the command
            make run   # = bin/edgeppo simulate --seeds 1 --no-seeds

        `serve --mode infer` and `bench train-step --batch 32 --bogus`.
        """);
    reports(truth.commands(p), "`--no-such-flag` is not an option of `edgeppo serve`", "`edgeppo frobnicate` is not a command",
        "`--no-seeds` is not an option of `edgeppo simulate`", "`--bogus` is not an option of `edgeppo bench train-step`");
  }

  @Test
  void flagsOnTheirOwn() {
    MarkdownPage p = page("`--pending-ttl-seconds` (1800), `--image` (tools/setup.sh), `--pending-ttl-minutes 30`, `--pending-ttl`.");
    reports(truth.standaloneFlags(p), "`--pending-ttl-minutes`", "`--pending-ttl`");
  }

  @Test
  void metrics() {
    MarkdownPage p = page("""
        `edgeppo_http_requests_total{endpoint,status}`, `edgeppo_train_{policy_loss,value_los}`,
        `edgeppo_reward_bucket`, `edgeppo_journal_health`, `DCGM_FI_DEV_GPU_UTIL`, `DCGM_FI_DEV_GPU_UTILISATION`.
        """);
    reports(truth.metrics(p), "edgeppo_train_value_los", "edgeppo_journal_health", "DCGM_FI_DEV_GPU_UTILISATION");
  }

  /** A metric registered only in some configurations (serve --fleet's) counts when src/main spells it as a literal. */
  @Test
  void metricsRegisteredOnlySometimes() {
    DocTruth withoutScrape = new DocTruth(truth.root, truth.cli, java.util.Set.of(), truth.agentKeys, truth.hyperparameters,
        truth.profiles, truth.makeTargets, truth.corpus, truth.javaFiles);
    MarkdownPage p = page("`edgeppo_journal_healthy` is a literal; `edgeppo_train_policy_loss` is put together from parts.");
    reports(withoutScrape.metrics(p), "edgeppo_train_policy_loss");
  }

  @Test
  void environmentVariables() {
    MarkdownPage p = page("`EDGEPPO_LEARNING_RATE`, `EDGEPPO_NVML_LIBRARY`, `EDGEPPO_*`, `EDGEPPO_LEARNING_RATIO`.");
    reports(truth.environment(p), "EDGEPPO_LEARNING_RATIO");
  }

  @Test
  void snakeCaseNames() {
    MarkdownPage p = page("`pending_ttl_seconds`, `qos_met`, `nvml_unavailable`, `observe_period_millis`, `no_process_utilization`,"
        + " `observe_period` (a piece of a real name is not one).");
    reports(truth.names(p), "observe_period_millis", "`observe_period`");
  }

  @Test
  void repositoryPaths() {
    MarkdownPage p = page("`tools/setup.sh`, `deploy/*.yaml`, `benchmarks/target/benchmarks.jar`, `tools/setup.bash`, `deploy/*.json`,"
        + " `kubectl logs deploy/edgeppo-webhook`, `kubectl apply -f deploy/99-nothing.yaml`.");
    reports(truth.paths(p), "tools/setup.bash", "deploy/*.json", "deploy/99-nothing.yaml");
  }

  @Test
  void javaNames() {
    MarkdownPage p = page("""
        `DurabilityFaultTest` and DurabilityFailureTest; `ObservationRules.THROTTLED_SHARE`, `ObservationRules.NO_SUCH_RULE`,
        `dev.edgeppo.k8s.ShareLimits`, `dev.edgeppo.k8s.SharedLimits`, `UUID.randomUUID` (not ours: not checked).
        """);
    reports(truth.javaNames(p), "DurabilityFailureTest", "dev.edgeppo.k8s.SharedLimits", "ObservationRules has no member NO_SUCH_RULE");
  }

  @Test
  void logLines() {
    MarkdownPage p = page("""
        | symptom | log line or metric | what |
        |---|---|---|
        | a | `refused N connection(s) past the limits`; `edgeppo_journal_healthy` | fine |
        | b | `journal corrupt in the middle: …` | fine |
        | c | `journal is corrupt somewhere` | no such line |
        """);
    reports(truth.logLines(p), "`journal is corrupt somewhere`");
  }

  @Test
  void packageTables() throws Exception {
    StringBuilder t = new StringBuilder("| package | what |\n|---|---|\n");
    try (var dirs = Files.list(DocTruthTest.ROOT.resolve("src/main/java/dev/edgeppo"))) {
      dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).filter(n -> !n.equals("observe"))
          .forEach(n -> t.append("| `").append(n).append("` | x |\n"));
    }
    t.append("| `oracle`, `agent` | no such package |\n");
    MarkdownPage p = page(t.toString());
    reports(truth.packageTables(p), "package `oracle` does not exist", "package `observe` has no row");
  }

  @Test
  void makeTargets() {
    MarkdownPage p = page("`make test`, `make NVCC=/x/nvcc`, `make bench JMH_ARGS=\"-f 1\"`, `make -C native tsan`, `make kernel-headers`.");
    reports(truth.make(p), "no target kernel-headers");
  }

  @Test
  void linksAndReachability(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("docs/img"));
    Files.writeString(dir.resolve("docs/img/a.png"), "png");
    Files.writeString(dir.resolve("README.md"),
        "# Top\n[a](docs/a.md#the-nodes-dra-driver-inside-serve) [b](docs/a.md#no-such) ![i](docs/img/a.png) [c](docs/c.md)\n");
    Files.writeString(dir.resolve("docs/a.md"), "# A\n## The node's DRA driver (inside `serve`)\n[up](../README.md#top)\n");
    Files.writeString(dir.resolve("docs/lonely.md"), "# Nobody links here\n");
    MarkdownPage readme = MarkdownPage.read(dir.resolve("README.md").toAbsolutePath().normalize());
    MarkdownPage a = MarkdownPage.read(dir.resolve("docs/a.md").toAbsolutePath().normalize());
    MarkdownPage lonely = MarkdownPage.read(dir.resolve("docs/lonely.md").toAbsolutePath().normalize());
    Map<Path, MarkdownPage> pages = Map.of(readme.path, readme, a.path, a, lonely.path, lonely);
    reports(truth.links(readme, pages), "no heading with anchor #no-such", "docs/c.md: no such file");
    reports(truth.links(a, pages));
    assertEquals(List.of(lonely.path), DocTruth.unreachable(readme, pages));
  }

  @Test
  void configurationTable() {
    StringBuilder rows = new StringBuilder("| key | default | what |\n| --- | --- | --- |\n");
    truth.allKeys().forEach((k, v) -> {
      if (k.equals("max_pods")) rows.append("| `max_pods` | 12 | wrong default |\n");
      else if (!k.equals("replay_size")) rows.append("| `").append(k).append("` | ").append(v == null ? "unset" : v).append(" | x |\n");
    });
    rows.append("| `max_pod_count` | 10 | no such key |\n");
    MarkdownPage p = page(rows.toString());
    reports(truth.configTable(p, p.tables.get(0)), "`max_pods`: the code's default is 10", "lists `max_pod_count`", "misses `replay_size`");
  }

  @Test
  void profileTable() {
    MarkdownPage p = page("""
        | key | seed | edge | why |
        |---|---|---|---|
        | `gamma` | 0.99 | 0 | right |
        | `replay_size` | 0 | 64 | wrong edge value |
        | `epochs`, `learning_rate` | 4, 3e-4 | 10, 1e-3 | several keys: prose, not checked |
        | `gama` | 0.99 | 0 | no such key |
        """);
    reports(truth.profileTable(p, p.tables.get(0)), "`replay_size` in profile edge", "`gama` is no hyperparameter");
  }

  @Test
  void anchorsFollowGitHub() {
    assertEquals("latency-of-allocate", MarkdownPage.slug("Latency of `/allocate`"));
    assertEquals("simulate-does-the-agent-allocate-better-than-todays-practice",
        MarkdownPage.slug("Simulate: does the agent allocate better than today's practice?"));
    assertEquals("watching-it-get-v1allocationsid-and-the-walk-through",
        MarkdownPage.slug("Watching it: `GET /v1/allocations/{id}` and the walk-through"));
  }

  @Test
  void codeSpansThatWrapAndPipesInTables() {
    MarkdownPage p = page("A `bin/edgeppo serve\n  --port 1` span.\n\n| a | b |\n|---|---|\n| `x|y` | z |\n");
    assertTrue(p.code.stream().anyMatch(c -> c.text().equals("bin/edgeppo serve   --port 1")), p.code.toString());
    assertEquals(List.of("`x|y`", "z"), p.tables.get(0).rows().get(0));
  }
}
