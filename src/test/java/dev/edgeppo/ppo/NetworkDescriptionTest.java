package dev.edgeppo.ppo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ParamLayout is the one description of SPEC §2's networks. Checked here against what does not come
 * from it: SPEC's parameter names and the PyTorch reference (its PARAM_NAMES and the fixtures it
 * wrote, whose tensor order is the optimiser's), a float64 forward written from SPEC's formulas, and
 * the orthogonal gains SPEC gives each layer.
 */
class NetworkDescriptionTest {
  static final List<String> SPEC_NAMES = List.of("actor.0.weight", "actor.0.bias", "actor.2.weight", "actor.2.bias",
      "actor.4.weight", "actor.4.bias", "log_std", "critic.0.weight", "critic.0.bias", "critic.2.weight",
      "critic.2.bias", "critic.4.weight", "critic.4.bias");

  static List<String> names(ParamLayout l) {
    return l.tensors().stream().map(ParamLayout.Tensor::name).toList();
  }

  @Test
  void namesAndShapesAreSpecs() {
    ParamLayout l = ParamLayout.of(7);
    assertEquals(SPEC_NAMES, names(l));
    assertArrayEquals(new int[] {7, 5}, l.tensor("actor.0.weight").shape());
    assertArrayEquals(new int[] {7, 7}, l.tensor("critic.2.weight").shape());
    assertArrayEquals(new int[] {2, 7}, l.tensor("actor.4.weight").shape());
    assertArrayEquals(new int[] {1, 7}, l.tensor("critic.4.weight").shape());
    assertArrayEquals(new int[] {2}, l.logStd.shape());
    int at = 0;
    for (ParamLayout.Tensor t : l.tensors()) {
      assertEquals(at, t.offset(), t.name() + " follows the previous tensor");
      at += t.size();
    }
    assertEquals(at, l.size());
    assertEquals(List.of(ParamLayout.Activation.RELU, ParamLayout.Activation.RELU, ParamLayout.Activation.SIGMOID),
        l.actor().stream().map(ParamLayout.Layer::act).toList());
    assertEquals(List.of(ParamLayout.Activation.RELU, ParamLayout.Activation.RELU, ParamLayout.Activation.NONE),
        l.critic().stream().map(ParamLayout.Layer::act).toList());
  }

  @Test
  void thePyTorchReferenceNamesTheSameTensorsInTheSameOrder() throws IOException {
    String py = Files.readString(Path.of("tools/reference/ppo_reference.py"));
    Matcher m = Pattern.compile("PARAM_NAMES = \\[(.*?)\\]", Pattern.DOTALL).matcher(py);
    assertTrue(m.find(), "PARAM_NAMES in ppo_reference.py");
    List<String> ref = new ArrayList<>();
    Matcher q = Pattern.compile("\"([^\"]+)\"").matcher(m.group(1));
    while (q.find()) ref.add(q.group(1));
    assertEquals(names(ParamLayout.of(1)), ref);

    ObjectMapper json = new ObjectMapper();
    for (Path f : PyTorchParityTest.cases().toList()) {
      JsonNode p = json.readTree(f.toFile()).get("parameters");
      List<String> order = new ArrayList<>();
      p.fieldNames().forEachRemaining(order::add);
      assertEquals(SPEC_NAMES, order, f + ": tensor order");
      int h = p.get("actor.0.weight").size();
      for (ParamLayout.Tensor t : ParamLayout.of(h).tensors()) {
        JsonNode n = p.get(t.name());
        int[] shape = n.get(0).isArray() ? new int[] {n.size(), n.get(0).size()} : new int[] {n.size()};
        assertArrayEquals(t.shape(), shape, f + ": " + t.name());
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {3, 8, 64})
  void policyServesSpecsForwardPass(int h) {
    PolicyParams params = PolicyParams.initialise(h, 0.4, h);
    SplittableRandom r = new SplittableRandom(h);
    float[] p = params.data();
    for (int i = 0; i < p.length; i++) p[i] = (float) r.nextDouble(-0.5, 0.5); // biases and a live head too
    ParamLayout l = params.layout();
    Policy policy = new Policy(params, 1);
    for (int row = 0; row < 20; row++) {
      float[] s = new float[5];
      double[] sd = new double[5];
      for (int k = 0; k < 5; k++) sd[k] = s[k] = (float) r.nextDouble();
      double[] z = lin(p, l, "actor.4", relu(lin(p, l, "actor.2", relu(lin(p, l, "actor.0", sd)))));
      double v = lin(p, l, "critic.4", relu(lin(p, l, "critic.2", relu(lin(p, l, "critic.0", sd)))))[0];
      float[] mean = policy.mean(s);
      for (int d = 0; d < 2; d++) assertEquals(1 / (1 + Math.exp(-z[d])), mean[d], 2e-6, "mean " + d);
      assertEquals(v, policy.value(s), 1e-5 * Math.max(1, Math.abs(v)), "value");
      Policy.Decision greedy = policy.act(s, false, r);
      assertArrayEquals(mean, greedy.action());
      double logp = 0;
      for (int d = 0; d < 2; d++) logp += -p[l.logStd.offset() + d] - 0.5 * Math.log(2 * Math.PI);
      assertEquals(logp, greedy.logProb(), 1e-5, "log-prob of the mean");
    }
  }

  @Test
  void initialisationGivesEachLayerItsGain() {
    int h = 16;
    PolicyParams p = PolicyParams.initialise(h, 0.3, 5);
    ParamLayout l = p.layout();
    // rows of a wide matrix (out < in) are orthogonal with norm = gain; columns of a tall one likewise
    assertGram(p, l.tensor("actor.2.weight"), 2.0);
    assertGram(p, l.tensor("critic.2.weight"), 2.0);
    assertGram(p, l.tensor("actor.4.weight"), 0.01 * 0.01);
    assertGram(p, l.tensor("critic.4.weight"), 1.0);
    assertGram(p, l.tensor("actor.0.weight"), 2.0);
    for (String b : List.of("actor.0.bias", "actor.2.bias", "actor.4.bias", "critic.4.bias"))
      for (float x : p.tensorCopy(b)) assertEquals(0f, x, b);
    for (float x : p.tensorCopy("log_std")) assertEquals((float) Math.log(0.3), x);
  }

  /** W W^T = g² I for a wide W, W^T W = g² I for a tall one. */
  private static void assertGram(PolicyParams p, ParamLayout.Tensor t, double gainSquared) {
    float[] w = p.tensorCopy(t.name());
    int rows = t.rows(), cols = t.cols();
    boolean wide = rows <= cols;
    int n = wide ? rows : cols;
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++) {
        double dot = 0;
        for (int k = 0; k < (wide ? cols : rows); k++)
          dot += wide ? (double) w[i * cols + k] * w[j * cols + k] : (double) w[k * cols + i] * w[k * cols + j];
        assertEquals(i == j ? gainSquared : 0, dot, 1e-5 * Math.max(1, gainSquared), t.name() + " gram " + i + "," + j);
      }
  }

  private static double[] lin(float[] p, ParamLayout l, String layer, double[] in) {
    ParamLayout.Tensor w = l.tensor(layer + ".weight"), b = l.tensor(layer + ".bias");
    double[] y = new double[w.rows()];
    for (int o = 0; o < w.rows(); o++) {
      double acc = p[b.offset() + o];
      for (int k = 0; k < w.cols(); k++) acc += (double) p[w.offset() + o * w.cols() + k] * in[k];
      y[o] = acc;
    }
    return y;
  }

  private static double[] relu(double[] v) {
    for (int i = 0; i < v.length; i++) v[i] = Math.max(0, v[i]);
    return v;
  }
}
