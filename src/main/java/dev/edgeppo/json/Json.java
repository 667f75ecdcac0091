package dev.edgeppo.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The one Jackson configuration. Everything edgeppo reads or writes as JSON (requests, configuration,
 * update cases, checkpoint metadata, logs, command output) goes through {@link #MAPPER}, or through a
 * mapper built by {@link #mapper} on {@link #factory()} where a reader needs tighter limits (request
 * bodies). Reading is strict everywhere: a duplicate key, or anything after the value, is an error
 * rather than a silent last-wins or an ignored tail.
 */
public final class Json {
  private Json() {}

  /**
   * The shared parser and generator settings. Buffers come from one pool shared by every thread:
   * Jackson's default pool is per thread, and every request runs on a fresh virtual thread, so without
   * it each request allocated ~30 KB of fresh parser and generator buffers (measured with JFR).
   */
  public static JsonFactoryBuilder factory() {
    return (JsonFactoryBuilder) JsonFactory.builder()
        .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
  }

  /** A mapper over {@code factory} with the shared settings. */
  public static ObjectMapper mapper(JsonFactory factory) {
    return new ObjectMapper(factory).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  }

  /** The mapper for everything but request bodies; thread-safe, never reconfigured. */
  public static final ObjectMapper MAPPER = mapper(factory().build());
}
