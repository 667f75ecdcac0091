package dev.edgeppo.fleet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Agents of one fleet against fabric8's mock API server in CRUD mode (a mock: see {@link MockFleetApi}), each
 * with its own client, through {@link KubeFleetStore} and {@link FleetMember}: the same code as
 * {@code serve --fleet}. The learners are a few floats, so the merged policies can be worked out by hand.
 */
class FleetMockApiTest {
  static final String FLEET = "edge";
  MockFleetApi api;
  final AtomicLong seconds = new AtomicLong(1_000_000);
  final InstantSource clock = () -> Instant.ofEpochSecond(seconds.get());

  @BeforeEach
  void start() throws Exception { api = new MockFleetApi(); }

  @AfterEach
  void stop() { api.close(); }

  FleetMember member(String agent, FleetLearner l, double step) {
    return new FleetMember(api.store(), l, FleetMember.Settings.forPeriod(FLEET, agent, Duration.ofSeconds(60), step, clock));
  }

  @Test
  void threeAgentsConvergeToTheHandWorkedMerge() throws Exception {
    ArrayLearner a = new ArrayLearner(0, 0, 0, 0), b = new ArrayLearner(0, 0, 0, 0), c = new ArrayLearner(0, 0, 0, 0);
    FleetMember ma = member("node-a", a, 1), mb = member("node-b", b, 1), mc = member("node-c", c, 1);
    a.train(1, 0, 0, 0);
    b.train(0, 1, 0, 0);
    c.train(0, 0, 1, 0);
    for (FleetMember m : List.of(ma, mb, mc)) m.publish();
    for (FleetMember m : List.of(ma, mb, mc)) m.pull();
    // Coordinate-wise median of three unit vectors: 0; offsets all of length 1 (none clipped); equal weights:
    // the plain mean.
    float third = 1f / 3;
    for (ArrayLearner l : List.of(a, b, c)) assertArrayEquals(new float[] {third, third, third, 0}, l.params(), 1e-6f);
    assertEquals(3, ma.fleetSize());
    assertEquals(1, ma.merges());
    assertEquals(96, ma.experience(), "the fleet's three batches of " + ArrayLearner.BATCH);
    // Nothing new: a second round writes nothing and merges nothing.
    for (FleetMember m : List.of(ma, mb, mc)) m.sync();
    assertEquals(1, ma.merges());
    assertArrayEquals(a.params(), c.params(), 1e-6f, "one policy, to the rounding of adding the merge as a delta");
  }

  @Test
  void theFleetStepGrowsWhileProgressKeepsItsDirectionAndDropsWhenItTurns() throws Exception {
    ArrayLearner a = new ArrayLearner(0, 0), b = new ArrayLearner(0, 0), c = new ArrayLearner(0, 0);
    List<ArrayLearner> ls = List.of(a, b, c);
    List<FleetMember> ms = List.of(member("node-a", a, 3), member("node-b", b, 3), member("node-c", c, 3));
    // Each round every agent learns the same +1 on the second parameter, then all write, then all merge.
    // Round 1: no earlier direction, plain averaging (m = 1): 1. Round 2: onward, m = 2: 1 + 1 + 1 = 3.
    // Round 3: m = 4, capped at the three agents: 3 + 1 + 2 = 6. Round 4 turns back (−1): m = 1, 6 − 1 = 5.
    float[] by = {0, 1};
    float[][] want = {{0, 1}, {0, 3}, {0, 6}, {0, 5}};
    for (int round = 0; round < want.length; round++) {
      if (round == 3) by = new float[] {0, -1};
      for (ArrayLearner l : ls) l.train(by);
      for (FleetMember m : ms) m.publish();
      for (FleetMember m : ms) m.pull();
      for (ArrayLearner l : ls) assertArrayEquals(want[round], l.params(), 1e-5f, "round " + (round + 1));
    }
  }

  @Test
  void aHeartbeatTouchesTheObjectAndIsNoNews() throws Exception {
    ArrayLearner a = new ArrayLearner(0, 0), b = new ArrayLearner(0, 0);
    FleetMember ma = member("node-a", a, 1), mb = member("node-b", b, 1);
    a.train(2, 0);
    ma.sync();
    mb.sync();
    assertEquals(1, mb.merges());
    PolicyShare first = read(ma.objectName());
    long bytes = ma.bytesWritten();
    seconds.addAndGet(60);
    ma.sync();
    assertEquals(1, ma.writes(), "nothing learned and no heartbeat due: no write");
    seconds.addAndGet(120); // three periods since the write: the heartbeat is due
    ma.sync();
    assertEquals(2, ma.writes());
    assertTrue(ma.bytesWritten() - bytes < 300, "a heartbeat is a small patch, not the object: " + (ma.bytesWritten() - bytes) + " bytes");
    PolicyShare touched = read(ma.objectName());
    assertEquals(first.generation(), touched.generation());
    assertEquals(Instant.ofEpochSecond(seconds.get()), touched.publishedAt());
    assertArrayEquals(first.params(), touched.params());
    mb.sync();
    assertEquals(1, mb.merges(), "a heartbeat is no news");
    // Seven more periods: without the heartbeat node-a's object would now be stale.
    seconds.addAndGet(7 * 60);
    mb.sync();
    assertEquals(2, mb.fleetSize());
  }

  @Test
  void aConflictOnWriteIsRetriedAndNothingIsLost() throws Exception {
    ArrayLearner a = new ArrayLearner(0, 0);
    FleetMember ma = member("node-a", a, 1);
    a.train(1, 2);
    ma.publish();
    // Someone else writes our object behind our back (a previous run of the agent, kubectl edit).
    try (KubernetesClient k = api.client()) {
      GenericKubernetesResource r = k.genericKubernetesResources(KubeFleetStore.CONTEXT).inNamespace(MockFleetApi.NAMESPACE)
          .withName(ma.objectName()).get();
      r.getMetadata().getAnnotations();
      r.getMetadata().setAnnotations(Map.of("touched", "by someone else"));
      k.genericKubernetesResources(KubeFleetStore.CONTEXT).inNamespace(MockFleetApi.NAMESPACE).resource(r).update();
    }
    // A heartbeat against the stale version is refused too; the object is then written whole.
    seconds.addAndGet(180);
    ma.publish();
    assertEquals(1, ma.conflicts(), "the heartbeat's patch carried the stale resourceVersion");
    a.train(1, 1);
    ma.publish();
    assertEquals(1, ma.conflicts(), "the whole write after it read the current version");
    PolicyShare stored = read(ma.objectName());
    assertArrayEquals(new float[] {2, 3}, stored.params(), "the object holds our newest parameters");
    assertEquals(2, stored.updates());
  }

  @Test
  void theApiServerDownThenBack() throws Exception {
    ArrayLearner a = new ArrayLearner(0, 0), b = new ArrayLearner(0, 0);
    FleetMember ma = member("node-a", a, 1), mb = member("node-b", b, 1);
    a.train(2, 0);
    ma.sync();
    api.stop();
    b.train(0, 2);
    assertThrows(FleetStore.Unavailable.class, mb::sync);
    assertThrows(FleetStore.Unavailable.class, mb::sync);
    assertEquals(2, mb.failedSyncs());
    assertArrayEquals(new float[] {0, 2}, b.params(), "b learns alone while the API server is away");
    api.restart();
    mb.sync();
    ma.sync();
    // Two agents: the median is the mean, both offsets equal in length, equal weights.
    assertArrayEquals(new float[] {1, 1}, b.params(), 1e-6f);
    assertArrayEquals(new float[] {1, 1}, a.params(), 1e-6f);
  }

  @Test
  void theLoopRejoinsByItself() throws Exception {
    ArrayLearner a = new ArrayLearner(0, 0), b = new ArrayLearner(0, 0);
    FleetMember ma = member("node-a", a, 1);
    a.train(2, 0);
    ma.sync();
    api.stop();
    b.train(0, 2);
    FleetMember mb = member("node-b", b, 1);
    try (FleetLoop loop = FleetLoop.start(mb, api.store(), Duration.ofMillis(200))) {
      assertEquals(1, mb.failedSyncs(), "the first round runs at start, and fails");
      api.restart();
      for (int i = 0; i < 300 && mb.merges() == 0; i++) Thread.sleep(50);
      assertEquals(1, mb.merges(), "merged once the API server was back");
      assertArrayEquals(new float[] {1, 1}, b.params(), 1e-6f);
    }
  }

  @Test
  void malformedTooLargeAndOtherFormatObjectsAreIgnoredWithTheirReason() throws Exception {
    ArrayLearner a = new ArrayLearner(0, 0), b = new ArrayLearner(0, 0);
    FleetMember ma = member("node-a", a, 1), mb = member("node-b", b, 1);
    b.train(4, 4);
    mb.publish();
    writeRaw("junk", Map.of("format", 1, "hidden", 1, "actionMapping", "relative", "parameters", "not an object"));
    writeRaw("huge", Map.of("padding", "x".repeat(FleetNames.MAX_OBJECT_BYTES + 1)));
    var other = PolicyShare.fromSpec(read(mb.objectName()).toSpec(), 1, "relative", 2).toSpec();
    other.put("format", FleetNames.FORMAT + 1);
    writeRaw("future", dev.edgeppo.json.Json.MAPPER.convertValue(other, Map.class));
    a.train(0, 0);
    ma.sync();
    assertEquals(1, ma.rejected(PolicyShare.Rejection.MALFORMED));
    assertEquals(1, ma.rejected(PolicyShare.Rejection.TOO_LARGE));
    assertEquals(1, ma.rejected(PolicyShare.Rejection.INCOMPATIBLE));
    assertEquals(2, ma.fleetSize(), "itself and node-b");
    assertArrayEquals(new float[] {2, 2}, a.params(), 1e-6f, "merged with node-b only");
  }

  @Test
  void anAgentThatLeavesIsDroppedOnceItsObjectIsStale() throws Exception {
    ArrayLearner a = new ArrayLearner(0), b = new ArrayLearner(0), c = new ArrayLearner(0);
    FleetMember ma = member("node-a", a, 1), mb = member("node-b", b, 1), mc = member("node-c", c, 1);
    for (FleetMember m : List.of(ma, mb, mc, ma)) m.sync();
    assertEquals(3, ma.fleetSize());
    // node-c leaves (its pod is gone): it writes no more. The others go on for longer than 10 periods.
    for (int round = 0; round < 11; round++) {
      seconds.addAndGet(60);
      a.train(1);
      b.train(1);
      ma.sync();
      mb.sync();
    }
    assertEquals(2, ma.fleetSize());
    assertTrue(ma.rejected(PolicyShare.Rejection.STALE) > 0);
    // It comes back and is counted again.
    mc.sync();
    ma.sync();
    assertEquals(3, ma.fleetSize());
  }

  @Test
  void aFreshAgentStartsFromTheFleetsPolicy() throws Exception {
    ArrayLearner a = new ArrayLearner(0, 0), fresh = new ArrayLearner(0, 0);
    FleetMember ma = member("node-a", a, 1);
    a.train(3, -1);
    ma.sync();
    FleetMember mf = member("node-new", fresh, 1);
    mf.sync();
    assertArrayEquals(new float[] {3, -1}, fresh.params(), "its own untrained policy does not pull the fleet's back");
  }

  @Test
  void experiencesArePublishedThroughTheApiServerAndEachIsTrainedOnOnce() throws Exception {
    ArrayLearner a = new ArrayLearner(0, 0).sharing().seqsFrom(0), b = new ArrayLearner(0, 0).sharing().seqsFrom(100),
        c = new ArrayLearner(0, 0).sharing().seqsFrom(200);
    List<ArrayLearner> ls = List.of(a, b, c);
    FleetMember ma = member("node-a", a, 1), mb = member("node-b", b, 1), mc = member("node-c", c, 1);
    List<FleetMember> ms = List.of(ma, mb, mc);
    for (ArrayLearner l : ls) {
      l.experience(10, 0, 0.1);
      l.train(0, 0); // an update: something new to write
    }
    for (FleetMember m : ms) m.publish();
    assertEquals(10, read(mb.objectName()).experiences().size(), "the experiences survive the API server");
    assertEquals(List.of(100L, 101L), read(mb.objectName()).experiences().subList(0, 2).stream().map(SharedExperience::seq).toList());
    for (FleetMember m : ms) m.pull();
    assertEquals(10, ma.experiencesShared());
    assertEquals(range(100, 110), a.trainedSeqs(e -> e.seq() >= 100 && e.seq() < 200));
    assertEquals(range(200, 210), a.trainedSeqs(e -> e.seq() >= 200));
    assertEquals(List.of(), a.trainedSeqs(e -> e.seq() < 100), "never its own");
    assertEquals(20, ma.experiencesUsed());
    // node-b has 5 more; its object now holds 15: the others train on the 5 new ones only.
    b.experience(5, 0, 0.1);
    b.train(0, 0);
    for (FleetMember m : ms) m.publish();
    for (FleetMember m : ms) m.pull();
    assertEquals(range(100, 115), a.trainedSeqs(e -> e.seq() >= 100 && e.seq() < 200), "each once");
    assertEquals(range(100, 115), c.trainedSeqs(e -> e.seq() >= 100 && e.seq() < 200));
    assertEquals(20, b.trainedOn.size(), "nothing new from the others");
    assertEquals(15, mb.experiencesShared());
    // A round with nothing new trains on nothing.
    for (FleetMember m : ms) m.sync();
    assertEquals(25, a.trainedOn.size());
    assertEquals(0, ma.experiencesRejected());
  }

  @Test
  void aPeerWhoseRewardsAreGarbageIsRefusedAndTheOthersAreUsed() throws Exception {
    ArrayLearner a = new ArrayLearner(0).sharing().seqsFrom(0), b = new ArrayLearner(0).sharing().seqsFrom(100),
        c = new ArrayLearner(0).sharing().seqsFrom(200), bad = new ArrayLearner(0).sharing().seqsFrom(900);
    FleetMember ma = member("node-a", a, 1), mb = member("node-b", b, 1), mc = member("node-c", c, 1), mbad = member("node-x", bad, 1);
    // The good agents' rewards are what every critic expects (± 0.1); the bad one's are 2 off (a broken observer, another GPU).
    for (ArrayLearner l : List.of(a, b, c)) l.experience(10, 0, 0.1);
    bad.experience(10, 2, 0.1);
    for (ArrayLearner l : List.of(a, b, c, bad)) l.train(0);
    for (FleetMember m : List.of(ma, mb, mc, mbad)) m.publish();
    for (FleetMember m : List.of(ma, mb, mc, mbad)) m.pull();
    assertEquals(List.of(), a.trainedSeqs(e -> e.seq() >= 900), "the bad peer's experiences are refused");
    assertEquals(20, a.trainedOn.size(), "the good peers' are used");
    assertEquals(10, ma.experiencesRejected());
    assertEquals(30, bad.trainedOn.size(), "the bad agent itself learns from the good ones");
    assertEquals(0, mbad.experiencesRejected());
  }

  static List<Long> range(long from, long to) { return java.util.stream.LongStream.range(from, to).boxed().toList(); }

  private void writeRaw(String agent, Map<?, ?> spec) {
    GenericKubernetesResource r = new GenericKubernetesResourceBuilder().withApiVersion(FleetNames.API_VERSION).withKind(FleetNames.KIND)
        .withNewMetadata().withName(FLEET + "-" + agent).withNamespace(MockFleetApi.NAMESPACE)
        .withLabels(Map.of(FleetNames.FLEET_LABEL, FLEET, FleetNames.AGENT_LABEL, agent)).endMetadata().build();
    r.setAdditionalProperty("spec", spec);
    try (KubernetesClient k = api.client()) {
      k.genericKubernetesResources(KubeFleetStore.CONTEXT).inNamespace(MockFleetApi.NAMESPACE).resource(r).create();
    }
  }

  private PolicyShare read(String name) throws Exception {
    try (KubeFleetStore s = api.store()) {
      FleetStore.Stored o = s.get(name).orElseThrow();
      return PolicyShare.fromSpec(o.spec(), 1, "relative", o.spec().get("parameters").get("count").intValue());
    }
  }
}
