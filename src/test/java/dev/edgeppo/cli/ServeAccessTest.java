package dev.edgeppo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator's errors around the token and the bind address say what is wrong and what to do. */
class ServeAccessTest {
  @TempDir Path dir;
  final List<String> warnings = new ArrayList<>();

  private Path tokenFile(String mode) throws IOException {
    Path f = dir.resolve("token");
    Files.writeString(f, "0123456789abcdef-token\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
    return f;
  }

  @Test
  void aMissingTokenFileSaysSo() {
    Path missing = dir.resolve("nope");
    IOException e = assertThrows(IOException.class, () -> ServeAccess.readToken(missing, warnings::add));
    assertEquals("token file " + missing + ": no such file", e.getMessage());
  }

  @Test
  void reasonsAreWords() {
    // Root reads any file, so a real permission failure cannot be staged here; the mapping is what is checked.
    assertEquals("permission denied", ServeAccess.reason(new AccessDeniedException("/etc/edgeppo/token")));
    assertEquals("a parent is not a directory", ServeAccess.reason(new java.nio.file.NotDirectoryException("/x")));
    assertEquals("Read-only file system", ServeAccess.reason(new java.nio.file.FileSystemException("/x", null, "Read-only file system")));
  }

  @Test
  void aTokenFileOthersCanReadIsWarnedAbout() throws Exception {
    assertEquals("0123456789abcdef-token", ServeAccess.readToken(tokenFile("rw-r--r--"), warnings::add));
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("readable by others"), warnings.get(0));
  }

  @Test
  void aTokenFileOnlyTheOwnerOrTheAgentsGroupReadsIsFine() throws Exception {
    ServeAccess.readToken(tokenFile("rw-------"), warnings::add);
    ServeAccess.readToken(tokenFile("rw-r-----"), warnings::add); // the test's own group, as fsGroup makes it in a pod
    assertEquals(List.of(), warnings);
  }

  @Test
  void aTokenFileAForeignGroupCanReadIsWarnedAbout() throws Exception {
    Path f = tokenFile("rw-r-----");
    try {
      Files.setAttribute(f, "unix:gid", 54321);
    } catch (IOException | UnsupportedOperationException e) {
      org.junit.jupiter.api.Assumptions.abort("cannot change the file's group here (needs root): " + e);
    }
    ServeAccess.readToken(f, warnings::add);
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("readable by group 54321"), warnings.get(0));
  }

  @Test
  void loopbackNeedsNoTokenAnythingElseDoes() throws Exception {
    ServeAccess.requireTokenOffLoopback("127.0.0.1", false);
    ServeAccess.requireTokenOffLoopback("::1", false);
    ServeAccess.requireTokenOffLoopback("localhost", false);
    ServeAccess.requireTokenOffLoopback("0.0.0.0", true);
    for (String bind : new String[] {"0.0.0.0", "::", "10.1.2.3"}) {
      IOException e = assertThrows(IOException.class, () -> ServeAccess.requireTokenOffLoopback(bind, false), bind);
      assertTrue(e.getMessage().contains("refusing to listen on " + bind + " without a token"), e.getMessage());
      assertTrue(e.getMessage().contains("--token-file"), e.getMessage());
    }
  }

  /** Through the real command line: refused before anything is opened, exit 1 with the message. */
  @Test
  void serveRefusesAWildcardBindWithoutAToken() throws Exception {
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setErr(new PrintWriter(err, true));
    int code = CompletableFuture.supplyAsync(() -> cl.execute("serve", "--bind", "0.0.0.0", "--port", "0",
        "--telemetry", "sim", "--backend", "cpu")).get(30, TimeUnit.SECONDS);
    assertEquals(1, code, err.toString());
    assertTrue(err.toString().contains("refusing to listen on 0.0.0.0 without a token"), err.toString());
  }

  @Test
  void serveNamesTheReasonForAMissingTokenFile() throws Exception {
    StringWriter err = new StringWriter();
    var cl = Main.commandLine();
    cl.setErr(new PrintWriter(err, true));
    Path missing = dir.resolve("absent-token");
    int code = CompletableFuture.supplyAsync(() -> cl.execute("serve", "--token-file", missing.toString(), "--port", "0",
        "--telemetry", "sim", "--backend", "cpu")).get(30, TimeUnit.SECONDS);
    assertEquals(1, code, err.toString());
    assertTrue(err.toString().contains("token file " + missing + ": no such file"), err.toString());
  }
}
