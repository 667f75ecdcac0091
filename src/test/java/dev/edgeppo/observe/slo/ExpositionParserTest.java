package dev.edgeppo.observe.slo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The text format 0.0.4 and OpenMetrics as servers write them, and bodies no server should write. */
class ExpositionParserTest {

  /** Shaped like vLLM's /metrics (prometheus_client, format 0.0.4). */
  static final String VLLM_004 = """
      # HELP vllm:e2e_request_latency_seconds Histogram of end to end request latency in seconds.
      # TYPE vllm:e2e_request_latency_seconds histogram
      vllm:e2e_request_latency_seconds_bucket{le="0.3",model_name="llama"} 4.0
      vllm:e2e_request_latency_seconds_bucket{le="0.5",model_name="llama"} 9.0
      vllm:e2e_request_latency_seconds_bucket{le="+Inf",model_name="llama"} 10.0
      vllm:e2e_request_latency_seconds_count{model_name="llama"} 10.0
      vllm:e2e_request_latency_seconds_sum{model_name="llama"} 3.7
      # HELP vllm:num_requests_running Number of requests.
      # TYPE vllm:num_requests_running gauge
      vllm:num_requests_running{model_name="llama"} 2.0
      """;

  @Test
  void keepsOnlyWantedSamplesWithLabels() throws Exception {
    MetricsSnapshot s = ExpositionParser.parse(VLLM_004, Objective.parse("vllm:e2e_request_latency_seconds:p99<=0.5"));
    List<MetricsSnapshot.Sample> buckets = s.get("vllm:e2e_request_latency_seconds_bucket");
    assertEquals(3, buckets.size());
    assertEquals(3, s.size());
    assertEquals(Map.of("le", "0.5", "model_name", "llama"), buckets.get(1).labels());
    assertEquals(9.0, buckets.get(1).value());
    assertEquals(List.of(), s.get("vllm:num_requests_running"));
  }

  @Test
  void readsOpenMetricsWithExemplarsCreatedAndEof() throws Exception {
    String om = """
        # TYPE nv_inference_count counter
        # HELP nv_inference_count Number of inferences
        nv_inference_count_total{model="resnet",version="1"} 1027 # {trace_id="abc"} 1.0 1520879607.789
        nv_inference_count_created{model="resnet",version="1"} 1520430000.123
        lat_bucket{le="1.0"} 3 # {trace_id="x"} 0.5
        lat_bucket{le="+Inf"} 4 1520879607.789
        # EOF
        nv_inference_count_total{model="after-eof"} 1
        """;
    MetricsSnapshot s = ExpositionParser.parse(om, n -> true);
    assertEquals(1, s.get("nv_inference_count_total").size(), "nothing after # EOF");
    assertEquals(1027.0, s.get("nv_inference_count_total").getFirst().value());
    assertEquals(2, s.get("lat_bucket").size());
    assertEquals(4.0, s.get("lat_bucket").get(1).value());
  }

  @Test
  void readsEscapesSpecialValuesTimestampsAndCrlf() throws Exception {
    String body = "a{path=\"C:\\\\x\",q=\"say \\\"hi\\\"\",nl=\"1\\n2\",} NaN 1700000000000\r\n"
        + "b +Inf\n  c{ x = \"1\" } -Inf\n d -1.5e-3\n";
    MetricsSnapshot s = ExpositionParser.parse(body, n -> true);
    var a = s.get("a").getFirst();
    assertEquals(Map.of("path", "C:\\x", "q", "say \"hi\"", "nl", "1\n2"), a.labels());
    assertTrue(Double.isNaN(a.value()));
    assertEquals(Double.POSITIVE_INFINITY, s.get("b").getFirst().value());
    assertEquals(Double.NEGATIVE_INFINITY, s.get("c").getFirst().value());
    assertEquals(-0.0015, s.get("d").getFirst().value());
  }

  @Test
  void refusesMalformedLinesWithTheirNumber() {
    assertBad("ok 1\n!!! garbage\n", "line 2");
    assertBad("m{le=\"1\" 3\n", "expected ',' or '}'");
    assertBad("m{le=\"1} 3\n", "not closed");
    assertBad("m{le=1} 3\n", "'\"'");
    assertBad("m 0x10\n", "not a number");
    assertBad("m 1d\n", "not a number");
    assertBad("m\n", "no value");
    assertBad("m{a=\"\\q\"} 1\n", "unknown escape");
    assertBad("m{a=\"1\",a=\"2\"} 1\n", "twice");
    assertBad("m{a=\"1\"} 1\nm{a=\"1\"} 2\n", "appears twice");
    assertBad("m 1 2 3\n", "after the timestamp");
  }

  @Test
  void skipsUnwantedLinesUnreadButStillWantsNames() throws Exception {
    // An unwanted line's labels are not read (it may use syntax we do not need), its name is.
    assertEquals(0, ExpositionParser.parse("other{weird syntax here} 1\n{\"utf8.name\"} 2\n", n -> n.equals("m")).size());
    assertBad("1starts_with_digit 1\n", "metric name");
  }

  @Test
  void hugeLinesAndManySamplesEndInAnErrorOrAnAnswer() throws Exception {
    String huge = "m{a=\"" + "x".repeat(3 << 20) + "\"} 1\n";
    assertEquals(1, ExpositionParser.parse(huge, n -> true).size());
    assertEquals(0, ExpositionParser.parse(huge, n -> false).size());
    String unclosed = "m{a=\"" + "x".repeat(3 << 20) + "\n";
    assertBad(unclosed, "not closed");
    StringBuilder many = new StringBuilder();
    for (int i = 0; i <= ExpositionParser.MAX_SAMPLES; i++) many.append("m{i=\"").append(i).append("\"} 1\n");
    assertBad(many.toString(), "more than");
  }

  @Test
  void randomGarbageNeverEscapesAsAnythingButMalformed() {
    var rnd = new SplittableRandom(18);
    String alphabet = "m_{}=\",# \n\\le+Inf0123456789.eE-NaN\r\tx";
    for (int k = 0; k < 3000; k++) {
      StringBuilder b = new StringBuilder();
      int len = rnd.nextInt(80);
      for (int i = 0; i < len; i++) b.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
      try {
        ExpositionParser.parse(b, n -> true);
      } catch (MalformedMetricsException expected) {
        // fine: the body is refused with a reason
      }
    }
  }

  private static void assertBad(String body, String part) {
    var e = assertThrows(MalformedMetricsException.class, () -> ExpositionParser.parse(body, n -> true));
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }
}
