import dev.edgeppo.observe.slo.*;
/** How long ExpositionParser takes on the largest body a scrape admits (4 MiB): see docs/service-levels.md. */
public class ParseBench {
  public static void main(String[] a) throws Exception {
    StringBuilder b = new StringBuilder();
    String[] le = {"0.3","0.5","0.8","1.0","1.5","2.0","2.5","5.0","10.0","15.0","20.0","30.0","40.0","50.0","60.0","+Inf"};
    int series = 0;
    while (b.length() < (4 << 20) - 4096) {
      for (int i = 0; i < le.length; i++) b.append("vllm:e2e_request_latency_seconds_bucket{le=\"").append(le[i]).append("\",model_name=\"m").append(series).append("\"} ").append(i * 10 + series).append('\n');
      for (int j = 0; j < 20; j++) b.append("vllm:other_gauge_").append(j).append("{model_name=\"m").append(series).append("\"} 1.0\n");
      series++;
    }
    String body = b.toString();
    Objective o = Objective.parse("vllm:e2e_request_latency_seconds:p99<=0.5");
    Objective r = Objective.parse("vllm:request_success_total:rate>=1");
    // warm-up, then timed
    for (int i = 0; i < 20; i++) ExpositionParser.parse(body, r);
    int n = 30; long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) ExpositionParser.parse(body, r);
    double unwanted = (System.nanoTime() - t0) / 1e6 / n;
    int kept = 0;
    try { ExpositionParser.parse(body, o); } catch (MalformedMetricsException e) { System.out.println("wanted: " + e.getMessage()); }
    // a body within the 10,000-sample cap: the first 600 series
    String small = body.substring(0, body.indexOf("model_name=\"m600\""));
    small = small.substring(0, small.lastIndexOf('\n') + 1);
    for (int i = 0; i < 20; i++) kept = ExpositionParser.parse(small, o).size();
    t0 = System.nanoTime();
    for (int i = 0; i < n; i++) ExpositionParser.parse(small, o);
    double wanted = (System.nanoTime() - t0) / 1e6 / n;
    System.out.printf("4 MiB body (%d bytes, %d series), no wanted sample: %.1f ms/parse%n", body.length(), series, unwanted);
    System.out.printf("%d bytes, %d wanted bucket samples kept: %.1f ms/parse%n", small.length(), kept, wanted);
  }
}
