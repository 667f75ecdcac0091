package dev.edgeppo.ppo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Dense's scalar forward pass (what {@code serve --mode infer} runs without the incubator module) against its
 * Vector API one and against a double-precision reference written here, on every parity case's parameters and
 * states: actor means and critic values, over the whole batch and one row at a time (a request's shape).
 */
class DenseScalarTest {
  /** Float rounding of 64-term dot products through three layers; the parity tests allow 2e-5 on parameters. */
  static final double ABS = 2e-5, REL = 2e-5;

  static List<Path> cases() throws IOException { return PyTorchParityTest.cases().toList(); }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void scalarAndVectorForwardAgreeWithADoubleReference(Path file) throws IOException {
    UpdateCase c = UpdateCase.read(file);
    ParamLayout layout = c.parameters().layout();
    float[] p = c.parameters().data();
    RolloutBatch b = c.batch();
    for (List<ParamLayout.Layer> net : List.of(layout.actor(), layout.critic())) {
      Mlp mlp = new Mlp(net);
      mlp.transpose(p);
      int n = b.size(), outs = mlp.outputs();
      for (float[] states : List.of(b.states(), b.nextStates())) {
        float[][] scalar = mlp.buffers(n), vector = mlp.buffers(n);
        mlp.forward(n, states, p, scalar, true);
        mlp.forward(n, states, p, vector, false);
        float[] one = new float[mlp.inputs()];
        for (int i = 0; i < n; i++) {
          System.arraycopy(states, i * one.length, one, 0, one.length);
          double[] ref = reference(net, p, one);
          float[][] row = mlp.buffers(1);
          mlp.forward(1, one, p, row, true);
          for (int o = 0; o < outs; o++) {
            String what = file.getFileName() + " " + net.getFirst().weight().name() + " row " + i + " output " + o;
            double s = scalar[scalar.length - 1][i * outs + o], v = vector[vector.length - 1][i * outs + o];
            ParityAssert.assertClose(what + " scalar vs reference", ref[o], s, ABS, REL);
            ParityAssert.assertClose(what + " vector vs reference", ref[o], v, ABS, REL);
            ParityAssert.assertClose(what + " scalar vs vector", v, s, ABS, REL);
            ParityAssert.assertClose(what + " one row vs batch", s, row[row.length - 1][o], 0, 0);
          }
        }
      }
    }
  }

  /** y = act(W x + b) layer by layer in double, from W in its natural [out, in] layout. */
  static double[] reference(List<ParamLayout.Layer> net, float[] p, float[] x) {
    double[] in = new double[x.length];
    for (int k = 0; k < x.length; k++) in[k] = x[k];
    for (ParamLayout.Layer l : net) {
      double[] y = new double[l.out()];
      for (int o = 0; o < l.out(); o++) {
        double acc = p[l.bias().offset() + o];
        for (int k = 0; k < l.in(); k++) acc += (double) p[l.weight().offset() + o * l.in() + k] * in[k];
        y[o] = switch (l.act()) {
          case NONE -> acc;
          case RELU -> Math.max(0, acc);
          case SIGMOID -> 1 / (1 + Math.exp(-acc));
        };
      }
      in = y;
    }
    return in;
  }
}
