package dev.edgeppo.server;

import dev.edgeppo.agent.AgentCore;
import dev.edgeppo.agent.AllocationTable;
import dev.edgeppo.observe.PodObserver;
import dev.edgeppo.observe.SkipReason;
import dev.edgeppo.ppo.UpdateMetrics;
import dev.edgeppo.telemetry.DcgmField;
import dev.edgeppo.telemetry.GpuSnapshot;
import dev.edgeppo.telemetry.SampledTelemetry;
import dev.edgeppo.telemetry.Telemetry;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

/** What {@code /metrics} shows, through Prometheus' client_java, registered in a registry of its own. */
public final class AgentMetrics {
  /** Latency buckets from 50 µs: the agent answers in well under a millisecond. */
  private static final double[] LATENCY_BOUNDS = {50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2e-3, 5e-3, 10e-3, 25e-3, 100e-3, 1.0};
  /** Update buckets from 100 µs (a warm T 32 update on the CPU: ~0.3 ms) to 10 s (T 2048 interpreted). */
  private static final double[] UPDATE_BOUNDS = {100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3,
      250e-3, 500e-3, 1.0, 2.5, 10.0};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final Counter requests;
  private final Histogram latency;
  private final Histogram reward;
  private final Histogram updateDuration;
  private final Counter feedbacks;

  public AgentMetrics(AgentCore core) {
    requests = Counter.builder().name("edgeppo_http_requests_total")
        .help("HTTP requests by endpoint and status").labelNames("endpoint", "status").register(registry);
    latency = Histogram.builder().name("edgeppo_http_request_duration_seconds")
        .help("Time from request read to response written").labelNames("endpoint", "status")
        .classicOnly().classicUpperBounds(LATENCY_BOUNDS).register(registry);
    reward = Histogram.builder().name("edgeppo_reward").help("Reward of each feedback (SPEC §1)")
        .classicOnly().classicLinearUpperBounds(-1.0, 0.25, 11).register(registry);
    updateDuration = Histogram.builder().name("edgeppo_train_update_duration_seconds")
        .help("Wall time of each PPO update (the backend's work and the swap of the serving policy)")
        .classicOnly().classicUpperBounds(UPDATE_BOUNDS).register(registry);
    counter("edgeppo_train_updates_total", "PPO updates the learner has run (across restarts)", core::updates);
    counter("edgeppo_train_failed_updates_total", "Updates that threw; their batch was dropped", core::failedUpdates);
    counter("edgeppo_checkpoint_failures_total", "Checkpoints that could not be written after an update; the journal keeps their experiences",
        core::failedCheckpoints);
    counter("edgeppo_journal_compaction_failures_total", "Journal compactions that failed; the journal stayed in use", core::failedCompactions);
    gauge("edgeppo_journal_corrupt_bytes", "Corrupt bytes skipped between valid journal records at start (their records are lost)",
        core::journalCorruptBytesAtStart);
    gauge("edgeppo_journal_healthy", "1 while feedback can be made durable, 0 while the journal refuses appends",
        () -> core.durabilityProblem().isEmpty() ? 1 : 0);
    counter("edgeppo_expired_allocations_total", "Allocations dropped without feedback after the TTL", core::expired);
    gauge("edgeppo_buffered_experiences", "Complete experiences waiting for the next update", core::buffered);
    gauge("edgeppo_pending_allocations", "Allocations waiting for their feedback", core::pending);
    gauge("edgeppo_policy_version", "Updates behind the serving policy", () -> core.learner().policy().version());
    gauge("edgeppo_training", "1 while an update runs", () -> core.isTraining() ? 1 : 0);
    lastUpdate(core, "policy_loss", UpdateMetrics::policyLoss);
    lastUpdate(core, "value_loss", UpdateMetrics::valueLoss);
    lastUpdate(core, "entropy", UpdateMetrics::entropy);
    lastUpdate(core, "approx_kl", UpdateMetrics::approxKl);
    lastUpdate(core, "clip_fraction", UpdateMetrics::clipFraction);
    lastUpdate(core, "explained_variance", UpdateMetrics::explainedVariance);
    lastUpdate(core, "grad_norm", UpdateMetrics::gradNorm);
    lastUpdate(core, "skipped_steps", UpdateMetrics::skippedSteps);
    GaugeWithCallback.builder().name("edgeppo_train_action_std").help("Action std per dimension after the last update")
        .labelNames("dim").callback(cb -> {
          UpdateMetrics m = core.learner().lastMetrics();
          float[] std = core.learner().policy().std();
          for (int d = 0; d < std.length; d++) cb.call(m == null ? std[d] : m.std()[d], Integer.toString(d));
        }).register(registry);
    telemetryGauges(core.telemetry());
    feedbacks = Counter.builder().name("edgeppo_feedbacks_total")
        .help("Feedbacks recorded, by source: http (POST /feedback) or observed (the agent's own, SPEC §5)")
        .labelNames("source").register(registry);
    core.onFeedback(a -> {
      reward.observe(a.reward());
      feedbacks.labelValues(a.source() == AllocationTable.Source.OBSERVED ? "observed" : "http").inc();
    });
    observerMetrics(core);
    if (core.telemetry() instanceof SampledTelemetry st) samplerGauges(st);
  }

  /** The telemetry sampler: how old the reading /allocate uses is, and what a reading costs. */
  private void samplerGauges(SampledTelemetry t) {
    gauge("edgeppo_telemetry_age_seconds", "Age of the GPU reading requests use; refused past edgeppo_telemetry_max_age_seconds",
        t::ageSeconds);
    gauge("edgeppo_telemetry_max_age_seconds", "Readings older than this are refused (503)", () -> t.maxAge().toNanos() / 1e9);
    gauge("edgeppo_telemetry_sample_duration_seconds", "Wall time of the sampler's last reading of every GPU",
        t::lastSampleSeconds);
    counter("edgeppo_telemetry_samples_total", "Readings the sampler took", t::samples);
    counter("edgeppo_telemetry_sample_failures_total", "Readings that failed (the previous one is kept until it ages out)",
        t::failures);
  }

  public void request(String endpoint, int status, long nanos) {
    String s = Integer.toString(status);
    requests.labelValues(endpoint, s).inc();
    latency.labelValues(endpoint, s).observe(nanos / 1e9);
  }

  /** The pod observer's counters (SPEC §5); zero while no observer runs. */
  private void observerMetrics(AgentCore core) {
    counter("edgeppo_observer_observed_allocations_total", "Allocations naming their pod that the observer watched",
        () -> core.observer() == null ? 0 : core.observer().observedTotal());
    counter("edgeppo_observer_self_reported_feedbacks_total", "Feedbacks the agent wrote itself from what it observed",
        () -> core.observer() == null ? 0 : core.observer().reportedTotal());
    counter("edgeppo_observer_samples_total", "Per-pod readings the observer took (one per pod per period)",
        () -> core.observer() == null ? 0 : core.observer().samplesReadTotal());
    gauge("edgeppo_observer_observing", "Observations in flight",
        () -> core.observer() == null ? 0 : core.observer().observing());
    CounterWithCallback.builder().name("edgeppo_observer_skipped_total")
        .help("Allocations naming their pod that got no observed feedback, by reason").labelNames("reason")
        .callback(cb -> {
          PodObserver o = core.observer();
          for (SkipReason r : SkipReason.values()) cb.call(o == null ? 0 : o.skippedTotal(r), r.label());
        }).register(registry);
    counter("edgeppo_observer_scrapes_total", "Scrapes of pods' metrics endpoints (declared service levels, SPEC §5)",
        () -> core.observer() == null ? 0 : core.observer().scrapesTotal());
    CounterWithCallback.builder().name("edgeppo_observer_scrape_failures_total")
        .help("Scrapes of pods' metrics that failed, by reason").labelNames("reason")
        .callback(cb -> {
          PodObserver o = core.observer();
          for (String r : dev.edgeppo.observe.slo.HttpScraper.FAILURE_REASONS) cb.call(o == null ? 0 : o.scrapeFailures(r), r);
        }).register(registry);
  }

  /** One update's wall time (PpoLearner#lastUpdateNanos), observed by the trainer after each update. */
  public void updateDuration(long nanos) { updateDuration.observe(nanos / 1e9); }

  /** SPEC §7's fleet metrics, registered when serve runs with --fleet. */
  public void fleet(dev.edgeppo.fleet.FleetMember m, AgentCore core) {
    counter("edgeppo_fleet_syncs_total", "Fleet rounds (write our object, read the fleet's) that completed", m::syncs);
    counter("edgeppo_fleet_failed_syncs_total", "Fleet rounds that failed (API server unreachable or refusing); the agent learned alone",
        m::failedSyncs);
    counter("edgeppo_fleet_conflicts_total", "Writes of our own FleetPolicy refused for a stale resourceVersion (each retried after a read)",
        m::conflicts);
    counter("edgeppo_fleet_merges_total", "Merges of the fleet's policies into this agent's", m::merges);
    counter("edgeppo_fleet_writes_total", "Writes of our own FleetPolicy object", m::writes);
    counter("edgeppo_fleet_written_bytes_total", "Bytes of the FleetPolicy specs written", m::bytesWritten);
    CounterWithCallback.builder().name("edgeppo_fleet_rejected_objects_total")
        .help("Fleet objects read and ignored, by reason (malformed, too_large, incompatible, stale)").labelNames("reason")
        .callback(cb -> {
          for (dev.edgeppo.fleet.PolicyShare.Rejection r : dev.edgeppo.fleet.PolicyShare.Rejection.values()) cb.call(m.rejected(r), r.label);
        }).register(registry);
    gauge("edgeppo_fleet_size", "Agents whose objects the last read could use, this one included", m::fleetSize);
    GaugeWithCallback.builder().name("edgeppo_fleet_last_merge_age_seconds").help("Seconds since the last merge (absent before the first)")
        .callback(cb -> {
          double a = m.lastMergeAgeSeconds();
          if (!Double.isNaN(a)) cb.call(a);
        }).register(registry);
    counter("edgeppo_fleet_experiences_shared_total", "Own experiences written to our FleetPolicy object for the fleet to train on (each once)",
        m::experiencesShared);
    counter("edgeppo_fleet_experiences_used_total", "Peers' experiences handed to the trainer (each read once)", m::experiencesUsed);
    counter("edgeppo_fleet_experiences_rejected_total",
        "Peers' experiences refused: their rewards surprised this agent's critic far more than the other peers' (docs/fleet.md)",
        m::experiencesRejected);
    counter("edgeppo_fleet_experiences_skipped_total", "Peers' new experiences left over by a round's caps (per peer: the median peer's count)",
        m::experiencesSkipped);
    counter("edgeppo_fleet_peer_updates_total", "PPO updates on peers' experiences (the rest of edgeppo_train_updates_total are on its own)",
        core::peerUpdates);
    counter("edgeppo_fleet_peer_experiences_dropped_total", "Peers' experiences dropped unused because the trainer's queue for them was full",
        core::peerExperiencesDropped);
    gauge("edgeppo_fleet_experience", "Feedbacks behind this agent's policy: the fleet's at the last merge plus its own since", m::experience);
  }

  public byte[] scrape() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try {
      writer.write(out, registry.scrape());
    } finally {
      scrapeReading.remove(); // the next scrape reads the GPUs afresh
    }
    return out.toByteArray();
  }

  public String contentType() { return writer.getContentType(); }

  /**
   * Every name a scrape can show, as the text format writes it (a counter's _total, a histogram's _bucket,
   * _count and _sum), whether or not it has a sample yet: what the docs may name (DocTruthTest).
   */
  public java.util.Set<String> names() {
    java.util.Set<String> out = new java.util.TreeSet<>();
    for (var snapshot : registry.scrape()) {
      String name = snapshot.getMetadata().getPrometheusName();
      switch (snapshot) {
        case io.prometheus.metrics.model.snapshots.CounterSnapshot c -> out.add(name + "_total");
        case io.prometheus.metrics.model.snapshots.HistogramSnapshot h ->
            out.addAll(List.of(name, name + "_bucket", name + "_count", name + "_sum"));
        default -> out.add(name);
      }
    }
    return out;
  }

  private void counter(String name, String help, java.util.function.LongSupplier v) {
    CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(v.getAsLong())).register(registry);
  }

  private void gauge(String name, String help, java.util.function.DoubleSupplier v) {
    GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(v.getAsDouble())).register(registry);
  }

  private void lastUpdate(AgentCore core, String metric, ToDoubleFunction<UpdateMetrics> f) {
    GaugeWithCallback.builder().name("edgeppo_train_" + metric).help("Last update's " + metric + " (SPEC §2)")
        .callback(cb -> {
          UpdateMetrics m = core.learner().lastMetrics();
          if (m != null) cb.call(f.applyAsDouble(m));
        }).register(registry);
  }

  /** One gauge per reading; a GPU that does not report a reading has no sample for it. */
  private void telemetryGauges(Telemetry t) {
    gpuGauge(t, "edgeppo_gpu_utilization_percent", "NVML utilization.gpu", GpuSnapshot::utilizationGpu);
    gpuGauge(t, "edgeppo_gpu_memory_bandwidth_percent", "NVML utilization.memory", GpuSnapshot::utilizationMemory);
    gpuGauge(t, "edgeppo_gpu_memory_used_mib", "Framebuffer used", g -> g.memoryUsedMib() == null ? null : g.memoryUsedMib().doubleValue());
    gpuGauge(t, "edgeppo_gpu_memory_total_mib", "Framebuffer total", g -> g.memoryTotalMib() == null ? null : g.memoryTotalMib().doubleValue());
    gpuGauge(t, "edgeppo_gpu_processes", "Running compute processes", g -> g.processes() == null ? null : g.processes().doubleValue());
    gpuGauge(t, "edgeppo_gpu_temperature_celsius", "GPU temperature", GpuSnapshot::temperatureC);
    gpuGauge(t, "edgeppo_gpu_power_watts", "Power draw", GpuSnapshot::powerW);
    // dcgm-exporter's own names and labels, so its dashboards work against the agent unchanged.
    for (DcgmField f : DcgmField.values()) {
      GaugeWithCallback.builder().name(f.metric()).help(f.help()).labelNames("gpu", "UUID", "modelName")
          .callback(cb -> eachGpu(t, g -> {
            Double v = g.extra().get(f.metric());
            if (v != null) cb.call(v, Integer.toString(g.index()), label(g.uuid()), label(g.name()));
          })).register(registry);
    }
  }

  private void gpuGauge(Telemetry t, String name, String help, java.util.function.Function<GpuSnapshot, Double> f) {
    GaugeWithCallback.builder().name(name).help(help).labelNames("gpu", "uuid").callback(cb -> eachGpu(t, g -> {
      Double v = f.apply(g);
      if (v != null) cb.call(v, Integer.toString(g.index()), label(g.uuid()));
    })).register(registry);
  }

  /** A GPU that does not report its name or UUID gets an empty label, not a failed scrape. */
  private static String label(String v) { return v == null ? "" : v; }

  /**
   * Every GPU gauge of one scrape reads the same snapshot: one telemetry reading per scrape (NVML calls
   * cost the driver time), not one per gauge, however long the scrape takes. The callbacks run on the
   * scraping thread, so the reading is kept per thread and dropped when the next scrape starts.
   */
  private void eachGpu(Telemetry t, Consumer<GpuSnapshot> c) {
    List<GpuSnapshot> r = scrapeReading.get();
    if (r == null) {
      try {
        r = t.read();
      } catch (RuntimeException e) {
        return; // a failing source shows as missing samples and in /readyz, not as a failed scrape
      }
      scrapeReading.set(r);
    }
    r.forEach(c);
  }

  private final ThreadLocal<List<GpuSnapshot>> scrapeReading = new ThreadLocal<>();
}
