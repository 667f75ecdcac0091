package dev.edgeppo.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The kernels' constants and structs come from {@link KernelAbi}: the committed
 * cuda-kernels/generated/consts.h must be exactly what it renders, and no kernel file may define one of
 * those names again. {@code -Dedgeppo.writeKernelHeader=true} (`make kernel-header`) rewrites the header.
 */
class KernelAbiTest {
  static final Path HEADER = Path.of(KernelAbi.HEADER_PATH);

  @Test
  void committedHeaderIsWhatJavaGenerates() throws IOException {
    String want = KernelAbi.header();
    if (Boolean.getBoolean("edgeppo.writeKernelHeader")) {
      Files.createDirectories(HEADER.getParent());
      Files.writeString(HEADER, want);
      System.out.println("wrote " + HEADER.toAbsolutePath());
    }
    assertTrue(Files.isRegularFile(HEADER), HEADER + " is missing; run make kernel-header");
    assertEquals(want, Files.readString(HEADER),
        HEADER + " differs from what dev.edgeppo.cuda.KernelAbi generates; run make kernel-header (and rebuild the kernels)");
  }

  @Test
  void noKernelFileDefinesASharedConstantAgain() throws IOException {
    Pattern def = Pattern.compile("^\\s*#\\s*define\\s+(\\w+)", Pattern.MULTILINE);
    var generated = new ArrayList<String>();
    Matcher g = def.matcher(KernelAbi.header());
    while (g.find()) generated.add(g.group(1));
    generated.remove("EDGEPPO_GENERATED_CONSTS_H");
    List<Path> sources;
    try (Stream<Path> s = Stream.concat(Files.list(Path.of("cuda-kernels")), Files.list(Path.of("native/cuda-host")))) {
      sources = s.filter(p -> p.toString().matches(".*\\.(cu|cuh|h|cpp)$")).toList();
    }
    assertTrue(sources.size() >= 6, "kernel sources found: " + sources);
    for (Path p : sources) {
      Matcher m = def.matcher(Files.readString(p));
      while (m.find())
        assertTrue(!generated.contains(m.group(1)), p + " defines " + m.group(1) + ", which generated/consts.h owns");
      assertTrue(!Files.readString(p).contains("struct PpoConsts {") && !Files.readString(p).contains("struct Layout {"),
          p + " declares a struct that generated/consts.h owns");
    }
  }

  @Test
  void ppoConstsBytesFollowTheCStructLayout() {
    var c = new KernelAbi.PpoConsts(0.9, 0.999, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f, 12f, 13, 14, 15, 16, 17);
    var b = java.nio.ByteBuffer.wrap(c.bytes()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    // two doubles, twelve floats, five ints: 84 bytes, padded to the doubles' alignment
    assertEquals(88, b.capacity());
    assertEquals(0.9, b.getDouble(0));
    assertEquals(0.999, b.getDouble(8));
    assertEquals(1f, b.getFloat(16));
    assertEquals(12f, b.getFloat(16 + 11 * 4));
    assertEquals(13, b.getInt(64));
    assertEquals(17, b.getInt(80));
    assertTrue(KernelAbi.header().contains("  double beta1;\n  double beta2;\n  float gamma;\n  float gamma_lambda;\n"));
    assertTrue(KernelAbi.header().contains("  int adam_step;\n};"));
  }

  @Test
  void layoutStructCarriesEachLayersOffsetsWidthsAndActivation() {
    var l = dev.edgeppo.ppo.ParamLayout.of(3);
    var b = java.nio.ByteBuffer.wrap(KernelAbi.layout(l)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int relu = 1, sigmoid = 2, none = 0;
    // SPEC §2's networks at H 3, written out: h, actor (w, b, in, out, act) x 3, log_std, critic x 3, size
    int[] want = {3,
        off(l, "actor.0.weight"), off(l, "actor.0.bias"), 5, 3, relu,
        off(l, "actor.2.weight"), off(l, "actor.2.bias"), 3, 3, relu,
        off(l, "actor.4.weight"), off(l, "actor.4.bias"), 3, 2, sigmoid,
        off(l, "log_std"),
        off(l, "critic.0.weight"), off(l, "critic.0.bias"), 5, 3, relu,
        off(l, "critic.2.weight"), off(l, "critic.2.bias"), 3, 3, relu,
        off(l, "critic.4.weight"), off(l, "critic.4.bias"), 3, 1, none,
        l.size()};
    assertEquals(4 * want.length, b.capacity());
    for (int i = 0; i < want.length; i++) assertEquals(want[i], b.getInt(4 * i), "int " + i + " of struct Layout");
    assertEquals("actor[0].w", KernelAbi.fieldName(l, l.tensor("actor.0.weight")));
    assertEquals("critic[2].b", KernelAbi.fieldName(l, l.tensor("critic.4.bias")));
    assertEquals("log_std", KernelAbi.fieldName(l, l.logStd));
    String h = KernelAbi.header();
    assertTrue(h.contains("#define ACTOR_LAYERS 3\n#define ACTOR_OUT_ACT ACT_SIGMOID\n"), h);
    assertTrue(h.contains("#define CRITIC_LAYERS 3\n#define CRITIC_OUT_ACT ACT_NONE\n"), h);
    assertTrue(h.contains("  L.actor[1].w = off;  // actor.2.weight\n  off += h * h;\n"), h);
    assertTrue(h.contains("  L.actor[2].w = off;  // actor.4.weight\n  off += 2 * h;\n"), h);
    assertTrue(h.contains("  L.critic[2].b = off;  // critic.4.bias\n  off += 1;\n"), h);
    assertTrue(h.contains("  L.actor[0].in = 5;\n  L.actor[0].out = h;\n  L.actor[0].act = ACT_RELU;\n"), h);
    assertEquals(3, KernelAbi.widestHidden(l));
  }

  private static int off(dev.edgeppo.ppo.ParamLayout l, String name) { return l.tensor(name).offset(); }

  /**
   * The C compiler's view of the generated structs against the bytes Java passes: edgeppo_layout(h),
   * compiled with g++ from the header, must be byte for byte KernelAbi.layout, and sizeof(PpoConsts) the
   * length of PpoConsts.bytes(). So the struct, its padding and the host drivers' layout agree with Java.
   */
  @Test
  void theCCompilerLaysOutTheStructsAsJavaWritesThem(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    String cxx = System.getenv().getOrDefault("CXX", "g++");
    org.junit.jupiter.api.Assumptions.assumeTrue(onPath(cxx), "skipped: no " + cxx + " to compile the header with");
    Path src = tmp.resolve("layout.cpp"), exe = tmp.resolve("layout");
    Files.writeString(src, """
        #include <cstdio>
        #include "consts.h"
        int main() {
          const int hs[] = {1, 3, 64};
          for (int h : hs) {
            Layout L = edgeppo_layout(h);
            const unsigned char* p = (const unsigned char*)&L;
            std::printf("%d", h);
            for (size_t i = 0; i < sizeof L; i++) std::printf(" %u", p[i]);
            std::printf("\\n");
          }
          std::printf("%zu\\n", sizeof(PpoConsts));
        }
        """);
    Process cc = new ProcessBuilder(cxx, "-std=c++17", "-I", HEADER.getParent().toString(), src.toString(), "-o",
        exe.toString()).redirectErrorStream(true).start();
    String ccOut = new String(cc.getInputStream().readAllBytes());
    assertEquals(0, cc.waitFor(), "g++ on the generated header: " + ccOut);
    Process run = new ProcessBuilder(exe.toString()).redirectErrorStream(true).start();
    List<String> lines = new String(run.getInputStream().readAllBytes()).lines().toList();
    assertEquals(0, run.waitFor());
    assertEquals(4, lines.size(), lines.toString());
    for (String line : lines.subList(0, 3)) {
      String[] f = line.split(" ");
      byte[] want = KernelAbi.layout(dev.edgeppo.ppo.ParamLayout.of(Integer.parseInt(f[0])));
      assertEquals(want.length, f.length - 1, "sizeof(Layout) at H " + f[0]);
      for (int i = 0; i < want.length; i++)
        assertEquals(want[i] & 0xff, Integer.parseInt(f[i + 1]), "byte " + i + " of Layout at H " + f[0]);
    }
    assertEquals(new KernelAbi.PpoConsts(0.9, 0.999, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f, 12f, 13, 14, 15, 16,
        17).bytes().length, Integer.parseInt(lines.get(3)), "sizeof(PpoConsts)");
  }

  private static boolean onPath(String exe) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
      if (Files.isExecutable(Path.of(dir, exe))) return true;
    return false;
  }
}
