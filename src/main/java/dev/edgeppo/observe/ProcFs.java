package dev.edgeppo.observe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Processes and their pods as a proc file system shows them ({@code /proc} on a node; a directory laid out
 * by a test otherwise). NVML names host PIDs, so on a node the agent must see the host's PID namespace
 * ({@code hostPID: true} in its DaemonSet), or no PID it reads would be found here.
 */
public final class ProcFs implements PodResolver {
  private final Path root;

  public ProcFs(Path root) {
    if (root == null) throw new IllegalArgumentException("proc root is missing");
    this.root = root;
  }

  public Path root() { return root; }

  /** The pod UID of {@code pid}, or null when the process is gone or belongs to no pod. */
  @Override
  public String podOf(int pid) {
    String text = cgroupFile(root.resolve(Integer.toString(pid)));
    return text == null ? null : PodCgroup.podUid(text);
  }

  /**
   * Whether any process of pod {@code uid} still runs: its containers' processes or its sandbox's (the
   * pause process lives as long as the pod does, so a pod whose GPU process exited but which still
   * runs is told apart from a pod that ended). Reads one small file per process.
   */
  @Override
  public boolean podAlive(String uid) {
    String want = PodCgroup.normalize(uid);
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(root, ProcFs::isPidDir)) {
      for (Path p : procs) {
        String text = cgroupFile(p);
        if (text != null && want.equals(PodCgroup.podUid(text))) return true;
      }
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + root, e);
    }
  }

  private static boolean isPidDir(Path p) {
    String n = p.getFileName().toString();
    if (n.isEmpty() || n.length() > 10) return false;
    for (int i = 0; i < n.length(); i++) if (n.charAt(i) < '0' || n.charAt(i) > '9') return false;
    return true;
  }

  /** The text of {@code dir/cgroup}, or null when the process went away (a race every reader of /proc has). */
  private static String cgroupFile(Path dir) {
    try {
      return Files.readString(dir.resolve("cgroup"), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      // ESRCH and friends when the process exits between listing and reading: as good as gone.
      return null;
    }
  }
}
