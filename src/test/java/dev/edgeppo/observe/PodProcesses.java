package dev.edgeppo.observe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Real child processes standing for a pod's containers, with a proc root laid out the way the kernel shows
 * them to the agent: {@code <root>/<pid>/cgroup} in one of the kubepods forms. Killing a process removes its
 * directory, as the kernel does.
 */
public final class PodProcesses implements AutoCloseable {
  /** The cgroup-file forms of {@link PodCgroupTest}, for any pod UID. */
  public enum Form {
    V1_CGROUPFS, V1_SYSTEMD, V2_CGROUPFS, V2_SYSTEMD, V2_NAMESPACE_RELATIVE, HYBRID;

    public String file(String uid, String container) {
      String u = uid.replace('-', '_');
      String scope = "cri-containerd-" + container + ".scope";
      return switch (this) {
        case V1_CGROUPFS -> "12:pids:/kubepods/burstable/pod%1$s/%2$s\n11:memory:/kubepods/burstable/pod%1$s/%2$s\n1:name=systemd:/kubepods/burstable/pod%1$s/%2$s\n"
            .formatted(uid, container);
        case V1_SYSTEMD -> "11:memory:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod%1$s.slice/%2$s\n1:name=systemd:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod%1$s.slice/%2$s\n"
            .formatted(u, scope);
        case V2_CGROUPFS -> "0::/kubepods/pod%s/%s\n".formatted(uid, container);
        case V2_SYSTEMD -> "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%s.slice/%s\n".formatted(u, scope);
        case V2_NAMESPACE_RELATIVE -> "0::/../../kubepods-besteffort-pod%s.slice/%s\n".formatted(u, scope);
        case HYBRID -> "11:memory:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%1$s.slice/%2$s\n0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%1$s.slice/%2$s\n"
            .formatted(u, scope);
      };
    }
  }

  private final Path root;
  private final List<Process> started = new ArrayList<>();

  public PodProcesses(Path root) {
    this.root = root;
  }

  public Path root() { return root; }

  /** Starts a real process (sleep) in pod {@code uid}, its cgroup file written in {@code form}; returns it. */
  public Process start(String uid, Form form) {
    try {
      Process p = new ProcessBuilder("sleep", "600").start();
      started.add(p);
      Path dir = root.resolve(Long.toString(p.pid()));
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("cgroup"), form.file(uid, "c" + p.pid()));
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A process outside any pod (a host daemon using the GPU). */
  public Process startOutsidePods() {
    try {
      Process p = new ProcessBuilder("sleep", "600").start();
      started.add(p);
      Path dir = root.resolve(Long.toString(p.pid()));
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("cgroup"), "0::/system.slice/nvidia-persistenced.service\n");
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Kills {@code p} and removes its directory, as the kernel would. */
  public void kill(Process p) {
    p.destroyForcibly();
    try {
      p.waitFor();
      try (Stream<Path> files = Files.walk(root.resolve(Long.toString(p.pid())))) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    for (Process p : started) if (p.isAlive()) kill(p);
  }
}
