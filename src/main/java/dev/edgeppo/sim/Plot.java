package dev.edgeppo.sim;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG charts through XChart, drawn without a display (servers and CI have none). */
public final class Plot {
  private Plot() {}

  /** One line per series over the shared x values; {@code levels}: dashed horizontal lines (e.g. evaluated means). */
  public static void lines(Path png, String title, String xLabel, String yLabel, double[] x, Map<String, double[]> series,
                           Map<String, Double> levels) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(1000).height(560).title(title).xAxisTitle(xLabel).yAxisTitle(yLabel).build();
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
    chart.getStyler().setMarkerSize(0);
    chart.getStyler().setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Horizontal);
    for (Map.Entry<String, double[]> e : series.entrySet()) {
      double[] y = e.getValue();
      int n = Math.min(x.length, y.length);
      XYSeries s = chart.addSeries(e.getKey(), java.util.Arrays.copyOf(x, n), java.util.Arrays.copyOf(y, n));
      s.setMarker(SeriesMarkers.NONE);
    }
    if (x.length > 0) {
      for (Map.Entry<String, Double> e : levels.entrySet()) {
        XYSeries s = chart.addSeries(e.getKey(), new double[] {x[0], x[x.length - 1]}, new double[] {e.getValue(), e.getValue()});
        s.setMarker(SeriesMarkers.NONE);
        s.setLineStyle(new java.awt.BasicStroke(2f, java.awt.BasicStroke.CAP_BUTT, java.awt.BasicStroke.JOIN_MITER, 10f,
            new float[] {8f, 6f}, 0f));
      }
    }
    String name = png.toString();
    String base = name.toLowerCase(java.util.Locale.ROOT).endsWith(".png") ? name.substring(0, name.length() - 4) : name;
    BitmapEncoder.saveBitmap(chart, base, BitmapEncoder.BitmapFormat.PNG);
  }
}
