package dev.edgeppo.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Who may call the agent: its bearer token, read from a file with the reason when that fails, and the rule
 * that an agent reachable from other hosts has a token.
 */
final class ServeAccess {
  static final int MIN_TOKEN_LENGTH = 16;

  private ServeAccess() {}

  /**
   * Reads and checks the token; {@code warn} hears about a file that other users can read.
   *
   * @throws IOException naming the file and the reason (no such file, permission denied, ...)
   */
  static String readToken(Path file, Consumer<String> warn) throws IOException {
    String t;
    try {
      t = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString().strip();
    } catch (CharacterCodingException e) {
      throw new IOException("token file " + file + ": not UTF-8 text", e);
    } catch (IOException e) {
      throw new IOException("token file " + file + ": " + reason(e), e);
    }
    if (t.isEmpty()) throw new IOException("token file " + file + " is empty");
    if (t.length() < MIN_TOKEN_LENGTH)
      throw new IOException("token file " + file + ": the token must have at least " + MIN_TOKEN_LENGTH + " characters");
    String exposure = exposure(file);
    if (exposure != null)
      warn.accept("token file " + file + " is readable by " + exposure + "; anyone who can read it can call the agent "
          + "(chmod 600 it, or 640 with the agent's group)");
    return t;
  }

  /**
   * Refuses to listen beyond loopback without a token: anyone who reaches the node could then allocate,
   * send feedback and so train the policy. There is deliberately no switch to allow it: a token is one
   * command to make (docs/agent.md "Security and bad input").
   */
  static void requireTokenOffLoopback(String bind, boolean hasToken) throws IOException {
    if (hasToken) return;
    InetAddress a;
    try {
      a = InetAddress.getByName(bind);
    } catch (UnknownHostException e) {
      throw new IOException("bind address " + bind + ": unknown host", e);
    }
    if (!a.isLoopbackAddress())
      throw new IOException("refusing to listen on " + bind + " without a token: any host that reaches it could "
          + "allocate and train the policy; give --token-file FILE (at least " + MIN_TOKEN_LENGTH
          + " characters), or bind a loopback address such as 127.0.0.1");
  }

  /** What failed, in words, for an I/O error whose message is often only the path. */
  static String reason(IOException e) {
    if (e instanceof NoSuchFileException) return "no such file";
    if (e instanceof AccessDeniedException) return "permission denied";
    if (e instanceof NotDirectoryException) return "a parent is not a directory";
    if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /**
   * "others" when every user can read the file; "group N" when its group, which this process is not in, can.
   * Null when only the owner (or the agent's own group) can read it, or on a file system without POSIX modes.
   */
  static String exposure(Path file) throws IOException {
    Set<PosixFilePermission> p;
    try {
      p = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException e) {
      return null;
    }
    if (p.contains(PosixFilePermission.OTHERS_READ)) return "others";
    if (!p.contains(PosixFilePermission.GROUP_READ)) return null;
    int gid = (Integer) Files.getAttribute(file, "unix:gid");
    return ownGroups().contains(gid) ? null : "group " + gid;
  }

  /** This process's primary and supplementary groups (Linux); empty where that cannot be read. */
  private static Set<Integer> ownGroups() {
    Set<Integer> out = new HashSet<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (!line.startsWith("Gid:") && !line.startsWith("Groups:")) continue;
        String[] f = line.substring(line.indexOf(':') + 1).trim().split("\\s+");
        // Gid: real, effective, saved, filesystem; the filesystem one is what file access is checked with.
        if (line.startsWith("Gid:")) out.add(Integer.parseInt(f[f.length - 1]));
        else for (String g : f) if (!g.isEmpty()) out.add(Integer.parseInt(g));
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: every group-readable file is reported
    }
    return out;
  }
}
