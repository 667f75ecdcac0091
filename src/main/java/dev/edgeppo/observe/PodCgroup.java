package dev.edgeppo.observe;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pod a process belongs to, read from its {@code /proc/<pid>/cgroup}. The kubelet puts every container
 * of a pod under a cgroup named after the pod's UID, and the name depends on the cgroup driver:
 * <ul>
 *   <li>cgroupfs: {@code /kubepods/burstable/pod3e5f6a1c-1b2c-4d3e-8f90-0123456789ab/<container>}
 *       (guaranteed pods sit directly under {@code /kubepods/});</li>
 *   <li>systemd: {@code /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod3e5f6a1c_1b2c_4d3e_8f90_0123456789ab.slice/cri-containerd-<id>.scope}
 *       (systemd reserves {@code -} in unit names, so the UID's dashes become underscores);</li>
 * </ul>
 * in cgroup v1 files ({@code 11:memory:/kubepods/...}, one line per hierarchy), cgroup v2 files
 * ({@code 0::/kubepods/...}), hybrid files mixing both, and the namespace-relative form an agent sees from
 * inside its own cgroup namespace ({@code 0::/../../kubepods-besteffort-pod<uid>.slice/...}): the path is then
 * relative to the reader's cgroup and may not show {@code kubepods} at all, so what identifies the pod is the
 * segment's own shape ({@code pod<UUID>} or {@code ...-pod<UUID>.slice}), wherever it sits.
 */
public final class PodCgroup {
  private static final String HEX_UUID = "[0-9a-fA-F]{8}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{12}";
  /** A pod UID as the API writes it (RFC 4122 text), or with systemd's underscores. */
  private static final Pattern UID = Pattern.compile(HEX_UUID);
  /** One path segment naming a pod: cgroupfs {@code pod<uid>}, systemd {@code <prefix>-pod<uid>.slice}. */
  private static final Pattern SEGMENT = Pattern.compile("(?:pod|.+-pod)(" + HEX_UUID + ")(\\.slice)?");

  private PodCgroup() {}

  /**
   * The pod UID (lower case, with dashes) named by the kubepods path of a cgroup file's lines, or null when
   * no line names one (a process outside any pod) or when two lines name different pods (nothing a kubelet
   * makes; we would rather not attribute than guess).
   */
  public static String podUid(String cgroupFile) {
    String found = null;
    for (String line : cgroupFile.split("\n")) {
      String uid = podUidOfLine(line);
      if (uid == null) continue;
      if (found != null && !found.equals(uid)) return null;
      found = uid;
    }
    return found;
  }

  /** The pod UID in one {@code hierarchy-id:controllers:path} line, or null. */
  static String podUidOfLine(String line) {
    // The path is everything after the second colon (a path may itself contain colons).
    int first = line.indexOf(':');
    int second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) return null;
    String path = line.substring(second + 1).strip();
    String found = null;
    for (String segment : path.split("/")) {
      Matcher m = SEGMENT.matcher(segment);
      // The pod's own cgroup is the deepest segment that names a pod (containers sit below it).
      if (m.matches() && (m.group(2) != null || segment.startsWith("pod"))) found = normalize(m.group(1));
    }
    return found;
  }

  /** Whether {@code uid} looks like a pod UID (the API's dashes or systemd's underscores). */
  public static boolean isUid(String uid) { return uid != null && UID.matcher(uid).matches(); }

  /** The API's spelling of a UID: lower case, dashes. */
  public static String normalize(String uid) { return uid.replace('_', '-').toLowerCase(java.util.Locale.ROOT); }
}
