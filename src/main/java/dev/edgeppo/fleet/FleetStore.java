package dev.edgeppo.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;

/**
 * Where a fleet's FleetPolicy objects live, with the API server's semantics: every object has a
 * {@code resourceVersion} that changes on each write; {@link #replace} succeeds only against the version
 * the writer last saw, else {@link Conflict}; {@link #create} of an existing name is a {@link Conflict}.
 * Two implementations: {@link KubeFleetStore} (the API server, through fabric8) and {@link InMemoryFleetStore}
 * (the simulator and unit tests). A cluster-spanning engine (NATS JetStream's KV revisions, a Kafka compacted
 * topic) would be a third, behind the same four calls.
 */
public interface FleetStore extends AutoCloseable {
  /** One stored object: its name, version, agent label and spec, and its size as stored (JSON bytes). */
  record Stored(String name, String resourceVersion, String agent, JsonNode spec, int bytes) {}

  /** The objects labelled with {@code fleet}. */
  List<Stored> list(String fleet) throws Unavailable;

  Optional<Stored> get(String name) throws Unavailable;

  /** Creates {@code name}; {@link Conflict} when it exists. Returns what was stored. */
  Stored create(String name, String fleet, String agent, JsonNode spec) throws Conflict, Unavailable;

  /** Replaces {@code name} if its version is still {@code resourceVersion}; {@link Conflict} otherwise (or gone). */
  Stored replace(String name, String resourceVersion, String fleet, String agent, JsonNode spec) throws Conflict, Unavailable;

  /**
   * Sets {@code spec.publishedAt} of {@code name} to {@code at} if its version is still {@code resourceVersion}
   * ({@link Conflict} otherwise): a heartbeat of a few hundred bytes instead of the whole object.
   */
  Stored touch(String name, String resourceVersion, java.time.Instant at) throws Conflict, Unavailable;

  /** Where it is, for logs and /v1/policy. */
  String describe();

  @Override
  default void close() {}

  /** Someone else wrote the object since we read it (or it exists / is gone): read again and retry. */
  final class Conflict extends Exception {
    public Conflict(String message) { super(message); }
  }

  /** The store cannot be reached or refused the call for a reason retrying later may cure. */
  final class Unavailable extends Exception {
    public Unavailable(String message, Throwable cause) { super(message, cause); }
  }
}
