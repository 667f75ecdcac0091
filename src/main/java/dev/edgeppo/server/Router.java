package dev.edgeppo.server;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.agent.AllocateRequest;
import dev.edgeppo.agent.Allocation;
import dev.edgeppo.agent.AllocationTable;
import dev.edgeppo.observe.PodObserver;
import dev.edgeppo.observe.slo.MetricsEndpoint;
import dev.edgeppo.observe.slo.Objective;
import dev.edgeppo.observe.slo.SloVerdict;
import dev.edgeppo.agent.BadInputException;
import dev.edgeppo.agent.DuplicateFeedbackException;
import dev.edgeppo.agent.Feedback;
import dev.edgeppo.agent.FeedbackResult;
import dev.edgeppo.agent.StateDirException;
import dev.edgeppo.agent.UnknownAllocationException;
import dev.edgeppo.ppo.PpoLearner;
import dev.edgeppo.telemetry.TelemetryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * SPEC §4's API as a function from request to response, without sockets: the HTTP adapter and the tests
 * (fuzzing included) call the same {@link #route}. Refusals are decided before anything reaches the core,
 * and the core itself changes nothing when it refuses.
 */
final class Router {
  static final int MAX_BODY = 1 << 20;
  private static final Logger LOG = Logger.getLogger(Router.class.getName());
  private static final Set<String> ALLOCATE_FIELDS = Set.of("cores", "memory", "pod", "pod_uid", "gpu", "slo");
  private static final Set<String> SLO_FIELDS = Set.of("metrics_url", "objective");
  private static final Set<String> FEEDBACK_FIELDS = Set.of("allocation_id", "actual_usage", "qos_met", "pods", "done");
  static final String JSON = "application/json";

  /** @param bodyTooLarge the adapter stopped reading past {@link #MAX_BODY}; body is then empty */
  record Request(String method, String path, String authorization, byte[] body, boolean bodyTooLarge) {}

  record Response(int status, String contentType, byte[] body, String endpoint) {}

  private record GpuRef(int index, String uuid) {}

  private final AgentCore core;
  private final AgentMetrics metrics;
  private final byte[] expectedAuth;
  private final String telemetryWhy;
  private final java.util.function.Supplier<Map<String, Object>> fleetState;

  /** @param token null: no authentication */
  Router(AgentCore core, AgentMetrics metrics, String token, String telemetryWhy) {
    this(core, metrics, token, telemetryWhy, null);
  }

  /** @param fleetState what /v1/policy shows under "fleet" (SPEC §7), or null when the agent learns alone */
  Router(AgentCore core, AgentMetrics metrics, String token, String telemetryWhy,
         java.util.function.Supplier<Map<String, Object>> fleetState) {
    this.fleetState = fleetState;
    this.core = core;
    this.metrics = metrics;
    this.expectedAuth = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    this.telemetryWhy = telemetryWhy;
  }

  AgentMetrics metrics() { return metrics; }

  /**
   * Whether {@link #route} answers {@code r} without blocking, so that the server may run it on its event loop:
   * POST /allocate when telemetry is read from the sampler. It then does no I/O and takes no lock held across
   * I/O (a volatile telemetry reading, the policy's forward pass, the allocation table, a random UUID), about
   * 50 µs of CPU. Everything else (feedback's journal fsync, /metrics and /readyz reading the driver) may block.
   */
  boolean answersAtOnce(Request r) {
    return "/allocate".equals(r.path()) && "POST".equals(r.method()) && core.telemetry().readsWithoutWaiting();
  }

  Response route(Request r) {
    String endpoint = endpoint(r.path());
    try {
      if (!endpoint.equals("healthz") && !endpoint.equals("readyz") && !authorized(r.authorization()))
        return error(401, "missing or wrong bearer token", endpoint);
      return switch (endpoint) {
        case "allocate" -> post(r) ? body(r, endpoint, () -> allocate(r.body())) : notAllowed(endpoint, "POST");
        case "feedback" -> post(r) ? body(r, endpoint, () -> feedback(r.body())) : notAllowed(endpoint, "POST");
        case "healthz" -> get(r) ? json(200, Map.of("status", "alive"), endpoint) : notAllowed(endpoint, "GET");
        case "readyz" -> get(r) ? ready() : notAllowed(endpoint, "GET");
        case "metrics" -> get(r) ? new Response(200, metrics.contentType(), metrics.scrape(), endpoint) : notAllowed(endpoint, "GET");
        case "policy" -> get(r) ? json(200, policy(), endpoint) : notAllowed(endpoint, "GET");
        case "allocation" -> get(r) ? allocation(r.path().substring(ALLOCATIONS.length())) : notAllowed(endpoint, "GET");
        default -> error(404, "no such endpoint; see SPEC §4: /allocate, /feedback, /healthz, /readyz, /metrics, /v1/policy, "
            + "/v1/allocations/{id}", endpoint);
      };
    } catch (BadInputException e) {
      return error(400, e.getMessage(), endpoint);
    } catch (UnknownAllocationException e) {
      return error(404, e.getMessage(), endpoint);
    } catch (DuplicateFeedbackException e) {
      return error(409, e.getMessage(), endpoint);
    } catch (TelemetryException e) {
      return error(503, "telemetry: " + e.getMessage() + "; nothing was changed, send it again", endpoint);
    } catch (StateDirException e) {
      // The log gets the paths; the client gets what failed and why, without them.
      LOG.log(Level.SEVERE, "state dir failed", e);
      return error(503, "state dir: " + e.reason() + "; nothing was changed, send it again", endpoint);
    } catch (UncheckedIOException e) {
      LOG.log(Level.SEVERE, "state dir failed", e);
      return error(503, "state dir: I/O error; see the agent's log", endpoint);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.SEVERE, "internal error on " + endpoint, e);
      return error(500, "internal error", endpoint);
    }
  }

  private interface Handler {
    Object handle() throws IOException;
  }

  private Response body(Request r, String endpoint, Handler h) throws IOException {
    if (r.bodyTooLarge()) return error(413, "body exceeds " + MAX_BODY + " bytes", endpoint);
    return json(200, h.handle(), endpoint);
  }

  private Object allocate(byte[] body) {
    JsonBody b = JsonBody.parse(body, ALLOCATE_FIELDS);
    AllocateRequest req = new AllocateRequest(b.requireInt("cores"), b.requireLong("memory"),
        b.has("pod") ? b.requireString("pod") : null, b.optionalIndexOrId("gpu"),
        b.has("pod_uid") ? b.requireString("pod_uid") : null, b.has("slo") ? slo(b.requireObject("slo", SLO_FIELDS)) : null);
    return new Written(answer(core.allocate(req)));
  }

  /** SPEC §4 {@code observation.slo}: value and met are null when the window decided nothing, and why. */
  private static Map<String, Object> slo(SloVerdict v) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("objective", v.objective().text());
    out.put("value", v.decided() ? v.value() : null);
    out.put("met", v.decided() ? v.met() : null);
    out.put("scrapes", v.scrapes());
    out.put("failed_scrapes", v.failedScrapes());
    if (!v.decided()) out.put("undecided", v.reason());
    return out;
  }

  /** SPEC §4 {@code slo}: a malformed URL or objective is refused (400) before anything changes. */
  private static MetricsEndpoint slo(JsonBody s) {
    String url = s.requireString("metrics_url");
    String objective = s.requireString("objective");
    try {
      return new MetricsEndpoint(MetricsEndpoint.parseUrl(url), Objective.parse(objective));
    } catch (IllegalArgumentException e) {
      throw new BadInputException("slo: " + e.getMessage());
    }
  }

  /** A body already written as JSON bytes. */
  private record Written(byte[] json) {}

  /**
   * Where an event loop writes /allocate's answer before it is copied out: one buffer per platform thread, reused,
   * so the copy is the only array each answer allocates. A virtual thread would keep its own for one request only.
   */
  private static final ThreadLocal<ByteArrayOutputStream> ANSWER_BUFFER = ThreadLocal.withInitial(() -> new ByteArrayOutputStream(256));

  /**
   * /allocate's answer (SPEC §4), written field by field with Jackson's generator: the bytes a map of it
   * serialised to before (AllocateAnswerTest checks), without the map, the boxed numbers and the serialiser's
   * per-call state, on the path that runs 5,000 times a second.
   */
  static byte[] answer(Allocation a) {
    ByteArrayOutputStream out = Thread.currentThread().isVirtual() ? new ByteArrayOutputStream(256) : ANSWER_BUFFER.get();
    out.reset();
    try (JsonGenerator g = JsonBody.MAPPER.getFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("allocation_id", a.allocationId());
      g.writeNumberField("cores", a.cores());
      g.writeNumberField("memory", a.memoryMb());
      g.writeObjectFieldStart("gpu");
      g.writeNumberField("index", a.gpuIndex());
      g.writeStringField("uuid", a.gpuUuid());
      g.writeEndObject();
      g.writeArrayFieldStart("state");
      for (float v : a.state()) g.writeNumber(v);
      g.writeEndArray();
      g.writeNumberField("policy_version", a.policyVersion());
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException(e); // a ByteArrayOutputStream does not fail
    }
    return out.toByteArray();
  }

  private Object feedback(byte[] body) {
    JsonBody b = JsonBody.parse(body, FEEDBACK_FIELDS);
    Feedback fb = new Feedback(b.requireString("allocation_id"), b.requireNumber("actual_usage"),
        b.requireBoolean("qos_met"), b.requireInt("pods"), b.has("done") && b.requireBoolean("done"));
    FeedbackResult r = core.feedback(fb);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("reward", r.reward());
    out.put("buffered", r.buffered());
    out.put("training", r.training());
    return out;
  }

  static final String ALLOCATIONS = "/v1/allocations/";

  /** SPEC §4 GET /v1/allocations/{id}: where an allocation stands, its feedback and what the observer saw. */
  private Response allocation(String id) throws JsonProcessingException {
    var found = core.allocation(id);
    if (found.isEmpty()) return error(404, "unknown allocation_id '" + (id.length() > 128 ? id.substring(0, 128) + "..." : id) + "'", "allocation");
    AllocationTable.View v = found.get();
    AllocationTable.Record rec = v.record();
    PodObserver observer = core.observer();
    PodObserver.Progress live = observer == null ? null : observer.progress(id);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("allocation_id", rec.id());
    out.put("status", switch (v.status()) {
      case PENDING, ANSWERING -> live != null ? "observing" : "pending";
      case ANSWERED -> "answered";
      case EXPIRED -> "expired";
    });
    out.put("cores", rec.cores());
    out.put("memory", rec.memoryMb());
    out.put("gpu", new GpuRef(rec.gpuIndex(), rec.gpuUuid()));
    if (rec.podUid() != null) out.put("pod_uid", rec.podUid());
    AllocationTable.Answer a = v.answer();
    if (a != null) {
      Map<String, Object> fb = new LinkedHashMap<>();
      fb.put("source", a.source() == AllocationTable.Source.OBSERVED ? "observed" : "http");
      fb.put("actual_usage", a.actualUsage());
      fb.put("qos_met", a.qosMet());
      fb.put("pods", a.pods());
      fb.put("done", a.done());
      fb.put("reward", a.reward());
      out.put("feedback", fb);
    }
    Map<String, Object> obs = new LinkedHashMap<>();
    if (live != null && v.status() != AllocationTable.Status.ANSWERED) {
      obs.put("samples", live.samples());
      obs.put("mean_sm", live.meanSm());
      obs.put("throttled_samples", live.throttledSamples());
      obs.put("peak_memory_mib", live.peakMemoryMib());
      obs.put("why", java.util.List.of(live.why()));
    } else if (v.observation() != null) {
      AllocationTable.Observation o = v.observation();
      obs.put("samples", o.samples());
      if (o.throttledSamples() != null) obs.put("throttled_samples", o.throttledSamples());
      if (o.peakMemoryMib() != null) obs.put("peak_memory_mib", o.peakMemoryMib());
      obs.put("why", o.why());
      if (o.slo() != null) obs.put("slo", slo(o.slo()));
    }
    if (!obs.isEmpty()) out.put("observation", obs);
    return json(200, out, "allocation");
  }

  private Response ready() throws JsonProcessingException {
    try {
      var journal = core.durabilityProblem();
      if (journal.isPresent()) return error(503, "state dir: " + journal.get(), "readyz");
      int gpus = core.telemetry().read().size();
      if (gpus == 0) return error(503, "telemetry reports no GPU", "readyz");
      return json(200, Map.of("status", "ready", "gpus", gpus, "policy_version", core.learner().policy().version()), "readyz");
    } catch (RuntimeException e) {
      return error(503, "telemetry: " + e.getMessage(), "readyz");
    }
  }

  private Map<String, Object> policy() {
    PpoLearner l = core.learner();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("updates", l.updates());
    out.put("version", l.policy().version());
    out.put("backend", l.backendName());
    out.put("mode", core.options().mode().name().toLowerCase());
    out.put("hyperparameters", l.hyperparameters());
    out.put("last_update", l.lastMetrics());
    long ns = l.lastUpdateNanos();
    out.put("update_ms", ns < 0 ? null : ns / 1e6);
    out.put("training", core.isTraining());
    out.put("buffered", core.buffered());
    out.put("pending", core.pending());
    out.put("expired", core.expired());
    out.put("failed_updates", core.failedUpdates());
    out.put("failed_checkpoints", core.failedCheckpoints());
    out.put("telemetry", telemetryWhy);
    out.put("fleet", fleetState == null ? null : fleetState.get());
    return out;
  }

  private boolean authorized(String header) {
    if (expectedAuth == null) return true;
    if (header == null) return false;
    return MessageDigest.isEqual(expectedAuth, header.getBytes(StandardCharsets.UTF_8));
  }

  private static boolean post(Request r) { return "POST".equals(r.method()); }

  private static boolean get(Request r) { return "GET".equals(r.method()); }

  static String endpoint(String path) {
    return switch (path) {
      case "/allocate" -> "allocate";
      case "/feedback" -> "feedback";
      case "/healthz" -> "healthz";
      case "/readyz" -> "readyz";
      case "/metrics" -> "metrics";
      case "/v1/policy" -> "policy";
      // One label for every id, so the request metrics stay a fixed set of series.
      case String p when p.startsWith(ALLOCATIONS) && p.length() > ALLOCATIONS.length() -> "allocation";
      default -> "other";
    };
  }

  private static Response notAllowed(String endpoint, String allowed) {
    return error(405, "method not allowed; use " + allowed, endpoint);
  }

  static Response error(int status, String message, String endpoint) {
    try {
      return json(status, Map.of("error", message), endpoint);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Response json(int status, Object body, String endpoint) throws JsonProcessingException {
    return new Response(status, JSON, body instanceof Written w ? w.json() : JsonBody.MAPPER.writeValueAsBytes(body), endpoint);
  }
}
