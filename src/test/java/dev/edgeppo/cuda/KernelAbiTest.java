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
  void layoutStructNamesEveryTensorInOrder() {
    var l = dev.edgeppo.ppo.ParamLayout.of(3);
    var b = java.nio.ByteBuffer.wrap(KernelAbi.layout(l)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    assertEquals(3, b.getInt(0));
    for (int i = 0; i < l.tensors().size(); i++) assertEquals(l.tensors().get(i).offset(), b.getInt(4 + 4 * i));
    assertEquals(l.size(), b.getInt(4 + 4 * l.tensors().size()));
    assertEquals("a0w", KernelAbi.fieldName(l.tensor("actor.0.weight")));
    assertEquals("c4b", KernelAbi.fieldName(l.tensor("critic.4.bias")));
    assertEquals("log_std", KernelAbi.fieldName(l.logStd));
    String h = KernelAbi.header();
    assertTrue(h.contains("  L.a2w = off;\n  off += h * h;\n"), h);
    assertTrue(h.contains("  L.a4w = off;\n  off += 2 * h;\n"), h);
    assertTrue(h.contains("  L.c4b = off;\n  off += 1;\n"), h);
  }
}
