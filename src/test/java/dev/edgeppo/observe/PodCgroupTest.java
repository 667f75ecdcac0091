package dev.edgeppo.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each form of /proc/<pid>/cgroup a kubelet's containers show, as the kernel writes it. */
class PodCgroupTest {
  static final String UID = "3e5f6a1c-1b2c-4d3e-8f90-0123456789ab";
  static final String UNDERSCORED = "3e5f6a1c_1b2c_4d3e_8f90_0123456789ab";
  static final String CID = "4b1c0d6f8a2e9b7c3d5e1f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c";

  /** cgroup v1, cgroupfs driver: one line per hierarchy, the pod under its QoS class. */
  static final String V1_CGROUPFS = """
      12:pids:/kubepods/burstable/pod%1$s/%2$s
      11:memory:/kubepods/burstable/pod%1$s/%2$s
      10:devices:/kubepods/burstable/pod%1$s/%2$s
      4:cpu,cpuacct:/kubepods/burstable/pod%1$s/%2$s
      1:name=systemd:/kubepods/burstable/pod%1$s/%2$s
      """.formatted(UID, CID);

  /** cgroup v1, systemd driver: slices with the UID's dashes as underscores. */
  static final String V1_SYSTEMD = """
      12:pids:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod%1$s.slice/cri-containerd-%2$s.scope
      11:memory:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod%1$s.slice/cri-containerd-%2$s.scope
      1:name=systemd:/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod%1$s.slice/cri-containerd-%2$s.scope
      """.formatted(UNDERSCORED, CID);

  /** cgroup v2, cgroupfs driver, a guaranteed pod (no QoS level). */
  static final String V2_CGROUPFS = "0::/kubepods/pod%s/%s\n".formatted(UID, CID);

  /** cgroup v2, systemd driver (the default of kubeadm and most distributions today). */
  static final String V2_SYSTEMD =
      "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%s.slice/cri-containerd-%s.scope\n"
          .formatted(UNDERSCORED, CID);

  /** cgroup v2 read from inside the agent's own cgroup namespace: relative to the agent's cgroup. */
  static final String V2_NAMESPACE_RELATIVE =
      "0::/../../kubepods-besteffort-pod%s.slice/cri-containerd-%s.scope\n".formatted(UNDERSCORED, CID);

  /** A hybrid host: v1 controllers plus the unified hierarchy's 0:: line. */
  static final String HYBRID = """
      12:memory:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%1$s.slice/docker-%2$s.scope
      3:cpu,cpuacct:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%1$s.slice/docker-%2$s.scope
      1:name=systemd:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%1$s.slice/docker-%2$s.scope
      0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%1$s.slice/docker-%2$s.scope
      """.formatted(UNDERSCORED, CID);

  /** kind and some distributions nest the kubelet's root under its own slice. */
  static final String V2_KUBELET_SLICE =
      "0::/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod%s.slice/cri-containerd-%s.scope\n"
          .formatted(UNDERSCORED, CID);

  @Test
  void everyFormNamesThePodInTheApisSpelling() {
    for (String f : new String[] {V1_CGROUPFS, V1_SYSTEMD, V2_CGROUPFS, V2_SYSTEMD, V2_NAMESPACE_RELATIVE, HYBRID,
        V2_KUBELET_SLICE}) {
      assertEquals(UID, PodCgroup.podUid(f), f);
    }
  }

  @Test
  void upperCaseHexIsTheSameUid() {
    assertEquals(UID, PodCgroup.podUid("0::/kubepods/pod" + UID.toUpperCase() + "/" + CID + "\n"));
  }

  @Test
  void processesOutsideAnyPodHaveNone() {
    assertNull(PodCgroup.podUid("0::/system.slice/containerd.service\n"));
    assertNull(PodCgroup.podUid("0::/\n"));
    assertNull(PodCgroup.podUid("0::/user.slice/user-1000.slice/session-3.scope\n"));
    assertNull(PodCgroup.podUid("12:memory:/docker/" + CID + "\n1:name=systemd:/docker/" + CID + "\n"));
    assertNull(PodCgroup.podUid(""));
    assertNull(PodCgroup.podUid("garbage without colons\n"));
  }

  @Test
  void aHybridFileWhoseUnifiedLineIsTheServiceStillNamesThePod() {
    // Hybrid hosts often leave the 0:: line at the runtime's service while v1 controllers carry the pod.
    String f = V1_SYSTEMD + "0::/system.slice/containerd.service\n";
    assertEquals(UID, PodCgroup.podUid(f));
  }

  @Test
  void segmentsThatOnlyLookLikeAPodAreNotOne() {
    // Not a UUID (too short), a UUID without the "pod" prefix, and a prefixed form that is no slice.
    assertNull(PodCgroup.podUid("0::/kubepods/pod1234/" + CID + "\n"));
    assertNull(PodCgroup.podUid("0::/kubepods/" + UID + "/" + CID + "\n"));
    assertNull(PodCgroup.podUid("0::/kubepods/kubepods-burstable-pod" + UNDERSCORED + "/x\n"));
    assertNull(PodCgroup.podUid("0::/kubepods/notapod" + UID + "/x\n"));
  }

  @Test
  void linesNamingTwoPodsAttributeToNeither() {
    String other = "0f0f0f0f-1111-2222-3333-444444444444";
    assertNull(PodCgroup.podUid("11:memory:/kubepods/pod" + UID + "/a\n0::/kubepods/pod" + other + "/b\n"));
  }

  @Test
  void uidsAreRecognisedInBothSpellings() {
    assertTrue(PodCgroup.isUid(UID));
    assertTrue(PodCgroup.isUid(UNDERSCORED));
    assertFalse(PodCgroup.isUid("pod" + UID));
    assertFalse(PodCgroup.isUid("not-a-uid"));
    assertFalse(PodCgroup.isUid(null));
    assertEquals(UID, PodCgroup.normalize(UNDERSCORED.toUpperCase()));
  }

  @Test
  void procFsReadsThePidsFileAndFindsLivePods(@TempDir Path proc) throws Exception {
    Files.createDirectories(proc.resolve("4242"));
    Files.writeString(proc.resolve("4242/cgroup"), V2_SYSTEMD);
    Files.createDirectories(proc.resolve("1"));
    Files.writeString(proc.resolve("1/cgroup"), "0::/init.scope\n");
    Files.createDirectories(proc.resolve("self"));
    Files.createDirectories(proc.resolve("sys"));
    ProcFs fs = new ProcFs(proc);
    assertEquals(UID, fs.podOf(4242));
    assertNull(fs.podOf(1));
    assertNull(fs.podOf(99999), "a process that is gone has no pod");
    assertTrue(fs.podAlive(UNDERSCORED));
    assertFalse(fs.podAlive("0f0f0f0f-1111-2222-3333-444444444444"));
    Files.delete(proc.resolve("4242/cgroup"));
    assertFalse(fs.podAlive(UID));
  }
}
