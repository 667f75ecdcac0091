package dev.edgeppo.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeppo.ppo.ParamLayout;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every kernel of cuda-kernels/ has exactly one typed method in {@link Kernels}, whose parameters are
 * the kernel's C parameters in order: the same names (camelCase for snake_case) and matching types. So
 * the typed methods cannot drift from the kernels, and callers cannot pass arguments of the wrong kinds.
 */
class KernelSignatureTest {
  record CParam(String type, String name) {}

  /** extern "C" __global__ kernels of every .cu file, by name. */
  static Map<String, List<CParam>> kernels() throws IOException {
    Pattern sig = Pattern.compile("extern \"C\" __global__ void (\\w+)\\(([^)]*)\\)");
    Map<String, List<CParam>> out = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(Path.of("cuda-kernels"))) {
      files = s.filter(p -> p.toString().endsWith(".cu")).toList();
    }
    for (Path f : files) {
      Matcher m = sig.matcher(Files.readString(f));
      while (m.find()) {
        List<CParam> ps = new ArrayList<>();
        for (String p : m.group(2).split(",")) {
          String t = p.trim().replaceAll("\\s+", " ");
          int cut = Math.max(t.lastIndexOf(' '), t.lastIndexOf('*'));
          ps.add(new CParam(t.substring(0, cut + 1).replace("const ", "").replace(" ", ""), t.substring(cut + 1)));
        }
        out.put(m.group(1), ps);
      }
    }
    return out;
  }

  static String snake(String camel) { return KernelAbi.snake(camel); }

  static boolean typesMatch(String c, Class<?> java) {
    return switch (c) {
      case "float*", "int*" -> java == DevicePtr.class;
      case "int" -> java == int.class || java == ParamLayout.Activation.class;
      case "float" -> java == float.class;
      case "PpoConsts" -> java == KernelAbi.PpoConsts.class;
      case "Layout" -> java == ParamLayout.class;
      default -> false;
    };
  }

  @Test
  void everyKernelHasOneTypedMethodWithItsSignature() throws IOException {
    Map<String, List<CParam>> c = kernels();
    assertTrue(c.size() >= 12, "kernels found: " + c.keySet());
    Map<String, Method> typed = new TreeMap<>();
    for (Method m : Kernels.class.getDeclaredMethods())
      if (!Modifier.isStatic(m.getModifiers()) && !Modifier.isPrivate(m.getModifiers()) && !m.isSynthetic())
        typed.put(snake(m.getName()), m);
    assertEquals(c.keySet(), typed.keySet(), "kernels and Kernels' typed methods");
    for (var e : c.entrySet()) {
      Parameter[] jp = typed.get(e.getKey()).getParameters();
      List<CParam> cp = e.getValue();
      String where = e.getKey() + ": C " + cp + " vs Java " + Arrays.toString(jp);
      assertEquals(cp.size(), jp.length, where);
      for (int i = 0; i < jp.length; i++) {
        assertTrue(jp[i].isNamePresent(), "compile with -parameters");
        assertEquals(cp.get(i).name().toLowerCase(java.util.Locale.ROOT), snake(jp[i].getName()), where + ": parameter " + i);
        assertTrue(typesMatch(cp.get(i).type(), jp[i].getType()), where + ": type of " + cp.get(i).name());
      }
    }
  }
}
