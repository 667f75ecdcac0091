package dev.edgeppo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/edgeppo's heap floor (issue 21): {@code serve} starts with {@code -Xms256m}, other commands keep the JVM's
 * default, and an {@code -Xms} in EDGEPPO_JAVA_OPTS comes later on the line, so it wins. The launcher is run as
 * {@code make build} writes it, in a home of its own whose "java" prints the arguments it was given.
 */
class LauncherHeapTest {
  @TempDir Path home;

  @Test
  void serveGetsTheHeapFloorOtherCommandsDoNot() throws Exception {
    List<String> serve = javaArgs(null, "serve", "--port", "1");
    assertTrue(serve.contains("-Xms256m"), serve.toString());
    assertTrue(serve.indexOf("-Xms256m") < serve.indexOf(Main.class.getName()), "a JVM option, before the class: " + serve);
    assertEquals(List.of("serve", "--port", "1"), serve.subList(serve.size() - 3, serve.size()));
    for (String other : List.of("simulate", "bench", "webhook")) {
      List<String> a = javaArgs(null, other);
      assertFalse(a.stream().anyMatch(s -> s.startsWith("-Xms")), other + ": " + a);
    }
  }

  @Test
  void anXmsInTheJavaOptionsComesLaterAndWins() throws Exception {
    List<String> a = javaArgs("-Xms512m -Xlog:gc", "serve");
    assertTrue(a.indexOf("-Xms256m") < a.indexOf("-Xms512m"), a.toString());
    assertTrue(a.contains("-Xlog:gc"), a.toString());
  }

  /** The arguments the launcher hands to java. */
  private List<String> javaArgs(String javaOpts, String... args) throws Exception {
    Path tools = Files.createDirectories(home.resolve("tools"));
    Path jdk = home.resolve("jdk");
    script(tools.resolve("find-jdk25.sh"), "echo '" + jdk + "'");
    script(Files.createDirectories(jdk.resolve("bin")).resolve("java"), "for a in \"$@\"; do echo \"$a\"; done");
    Files.copy(Path.of("tools/needs-vector-api.sh"), tools.resolve("needs-vector-api.sh"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.createDirectories(home.resolve("target"));
    Files.writeString(home.resolve("target/edgeppo.jar"), "");
    Path launcher = home.resolve("edgeppo");
    Files.writeString(launcher, Files.readString(Path.of("tools/edgeppo-launcher.sh")).replace("@EDGEPPO_HOME@", home.toString()));
    List<String> cmd = new ArrayList<>(List.of("sh", launcher.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove("EDGEPPO_JAVA_OPTS");
    pb.environment().remove("EDGEPPO_MODE");
    if (javaOpts != null) pb.environment().put("EDGEPPO_JAVA_OPTS", javaOpts);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return out.lines().toList();
  }

  private static void script(Path file, String body) throws Exception {
    Files.writeString(file, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
