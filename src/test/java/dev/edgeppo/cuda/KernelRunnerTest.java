package dev.edgeppo.cuda;

import dev.edgeppo.ppo.ParamLayout.Activation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.backend.Backends;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The host runner's launch helper and GEMM, and how cuda and auto behave where no GPU exists. */
class KernelRunnerTest {
  @Test
  void unknownKernelIsNamedInTheError() {
    try (HostRunner r = new HostRunner()) {
      var e = assertThrows(KernelException.class, () -> r.launch("no_such_kernel", Launch.oneBlock(32), new KernelArgs()));
      assertTrue(e.getMessage().contains("kernel no_such_kernel"), e.getMessage());
    }
  }

  @Test
  void aPointerIntoAnotherRunnersMemoryIsRefused() {
    DeviceBuffer foreign = new DeviceBuffer() {
      public long floats() { return 16; }
      public void close() {}
    };
    try (HostRunner r = new HostRunner()) {
      DeviceBuffer own = r.allocate(16);
      var e = assertThrows(IllegalArgumentException.class,
          () -> new Kernels(r).activationBackward(own.at(0), foreign.at(0), Activation.RELU, own.at(0), 16));
      assertTrue(e.getMessage().contains("not a cuda-host buffer"), e.getMessage());
    }
  }

  @Test
  void copiesOutsideABufferAreRefused() {
    try (HostRunner r = new HostRunner()) {
      DeviceBuffer b = r.allocate(4);
      assertThrows(IllegalArgumentException.class, () -> r.upload(new float[8], 0, b.at(0), 5));
      assertThrows(IllegalArgumentException.class, () -> r.download(b.at(2), new float[8], 0, 3));
    }
  }

  @Test
  void elementwiseKernelRunsEveryElementOfAGridLargerThanTheWorkers() {
    try (HostRunner r = new HostRunner()) {
      int n = 1000;
      float[] prod = new float[n], mask = new float[n];
      for (int i = 0; i < n; i++) {
        prod[i] = i + 0.5f;
        mask[i] = i % 3 == 0 ? 0f : 1f;
      }
      DeviceBuffer pb = r.allocate(n), mb = r.allocate(n), out = r.allocate(n);
      r.upload(prod, 0, pb.at(0), n);
      r.upload(mask, 0, mb.at(0), n);
      // grid-stride: 192 threads for 1000 elements
      r.launch("activation_backward", new Launch(3, 64, 0),
          new KernelArgs().ptr(pb.at(0)).ptr(mb.at(0)).i32(Activation.RELU.code()).ptr(out.at(0)).i32(n));
      float[] got = new float[n];
      r.download(out.at(0), got, 0, n);
      for (int i = 0; i < n; i++) assertEquals(mask[i] > 0 ? prod[i] : 0f, got[i], "element " + i);
      // the typed entry point, its own grid, in place over the mask as the backward pass uses it
      new Kernels(r).activationBackward(pb.at(0), mb.at(0), Activation.RELU, mb.at(0), n);
      r.download(mb.at(0), got, 0, n);
      for (int i = 0; i < n; i++) assertEquals(mask[i] > 0 ? prod[i] : 0f, got[i], "in place, element " + i);
      // through a Sigmoid whose outputs y are in (0, 1): prod * y (1 - y)
      float[] y = new float[n];
      for (int i = 0; i < n; i++) y[i] = (i % 97 + 1) / 99f;
      r.upload(y, 0, mb.at(0), n);
      new Kernels(r).activationBackward(pb.at(0), mb.at(0), Activation.SIGMOID, out.at(0), n);
      r.download(out.at(0), got, 0, n);
      for (int i = 0; i < n; i++) assertEquals(prod[i] * y[i] * (1f - y[i]), got[i], 1e-6f * prod[i], "sigmoid, element " + i);
    }
  }

  @Test
  void hostSgemmHasCublasSemantics() {
    // column-major A (2x3, lda 2), B^T given as 2x3 (ldb 2), C = A B with B 3x2; beta scales the old C
    float[] a = {1, 2, 3, 4, 5, 6}; // A = [[1,3,5],[2,4,6]]
    float[] bt = {1, 0, 0, 1, 1, 1}; // op(B) = B^T^T: stored as B^T (2x3), B = [[1,0],[0,1],[1,1]]
    float[] c = {10, 10, 10, 10};
    try (HostRunner r = new HostRunner()) {
      DeviceBuffer ab = r.allocate(6), bb = r.allocate(6), cb = r.allocate(4);
      r.upload(a, 0, ab.at(0), 6);
      r.upload(bt, 0, bb.at(0), 6);
      r.upload(c, 0, cb.at(0), 4);
      r.sgemm(false, true, 2, 2, 3, 2f, ab.at(0), 2, bb.at(0), 2, 0.5f, cb.at(0), 2);
      float[] got = new float[4];
      r.download(cb.at(0), got, 0, 4);
      // A B = [[6,8],[8,10]]; 2 A B + 0.5 C, column-major
      assertArrayEquals(new float[] {17, 21, 21, 25}, got);
    }
  }

  @Test
  void cudaWithoutGpuFailsWithItsReasonAndAutoFallsBackSayingWhy() {
    Optional<String> why = Backends.available("cuda");
    Backends.Choice auto = Backends.choose("auto");
    try (var b = auto.backend()) {
      if (why.isEmpty()) {
        assertEquals("cuda", b.name(), auto.why());
        return;
      }
      System.out.println("no GPU here: " + why.get());
      assertEquals("cpu", b.name());
      assertTrue(auto.why().contains(why.get()), auto.why());
    }
    var e = assertThrows(IllegalStateException.class, () -> Backends.open("cuda"));
    assertTrue(e.getMessage().contains(why.get()), e.getMessage());
  }

  @Test
  void cudaHostIsAvailableWhereTheNativeLibraryWasBuilt() {
    assertEquals(Optional.empty(), Backends.available("cuda-host"));
    try (var b = Backends.open("cuda-host")) {
      assertEquals("cuda-host", b.name());
    }
  }
}
