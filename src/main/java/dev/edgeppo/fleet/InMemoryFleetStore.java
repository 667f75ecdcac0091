package dev.edgeppo.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A {@link FleetStore} in memory with the API server's semantics: one global counter gives each write its
 * {@code resourceVersion} (as etcd's revision does), and a stale version or an existing name is a
 * {@link FleetStore.Conflict}. Size is not limited here (the API server takes up to 1.5 MiB): the 256 KiB limit
 * is enforced by the writer and again by every reader. {@link #down} makes every call fail as an unreachable
 * server would. Thread-safe; lists come back in name order, so a simulation is repeatable.
 */
public final class InMemoryFleetStore implements FleetStore {
  private final Map<String, Stored> objects = new TreeMap<>();
  private final Map<String, String> fleets = new TreeMap<>();
  private long revision;
  private volatile boolean down;
  private long writes, bytesWritten;

  /** While true every call throws {@link FleetStore.Unavailable}, as an API server that cannot be reached. */
  public void down(boolean d) { this.down = d; }

  private void reachable() throws Unavailable {
    if (down) throw new Unavailable("in-memory store is down (simulated)", null);
  }

  @Override
  public synchronized List<Stored> list(String fleet) throws Unavailable {
    reachable();
    List<Stored> out = new ArrayList<>();
    for (Stored s : objects.values()) if (fleet.equals(fleets.get(s.name()))) out.add(s);
    return out;
  }

  @Override
  public synchronized Optional<Stored> get(String name) throws Unavailable {
    reachable();
    return Optional.ofNullable(objects.get(name));
  }

  @Override
  public synchronized Stored create(String name, String fleet, String agent, JsonNode spec) throws Conflict, Unavailable {
    reachable();
    if (objects.containsKey(name)) throw new Conflict(name + " already exists");
    return put(name, fleet, agent, spec);
  }

  @Override
  public synchronized Stored replace(String name, String resourceVersion, String fleet, String agent, JsonNode spec)
      throws Conflict, Unavailable {
    reachable();
    Stored now = objects.get(name);
    if (now == null) throw new Conflict(name + " does not exist");
    if (!now.resourceVersion().equals(resourceVersion))
      throw new Conflict(name + " is at resourceVersion " + now.resourceVersion() + ", not " + resourceVersion);
    return put(name, fleet, agent, spec);
  }

  @Override
  public synchronized Stored touch(String name, String resourceVersion, java.time.Instant at) throws Conflict, Unavailable {
    reachable();
    Stored now = objects.get(name);
    if (now == null) throw new Conflict(name + " does not exist");
    if (!now.resourceVersion().equals(resourceVersion))
      throw new Conflict(name + " is at resourceVersion " + now.resourceVersion() + ", not " + resourceVersion);
    com.fasterxml.jackson.databind.node.ObjectNode spec = now.spec().deepCopy();
    spec.put("publishedAt", at.toString());
    Stored s = put(name, fleets.get(name), now.agent(), spec);
    bytesWritten -= s.bytes() - touchBytes(resourceVersion, at); // a patch sends only what it changes
    return s;
  }

  static int touchBytes(String resourceVersion, java.time.Instant at) { return KubeFleetStore.touchPatch(resourceVersion, at).length(); }

  /** Removes an object, as {@code kubectl delete} would (tests: an agent's object gone). */
  public synchronized void delete(String name) { objects.remove(name); fleets.remove(name); }

  private Stored put(String name, String fleet, String agent, JsonNode spec) {
    JsonNode copy = spec.deepCopy(); // a reader never sees the writer's later changes
    int bytes = copy.toString().length();
    Stored s = new Stored(name, Long.toString(++revision), agent, copy, bytes);
    objects.put(name, s);
    fleets.put(name, fleet);
    writes++;
    bytesWritten += bytes;
    return s;
  }

  /** Writes accepted so far, and their bytes: the simulator's API traffic figure. */
  public synchronized long writes() { return writes; }
  public synchronized long bytesWritten() { return bytesWritten; }

  @Override
  public String describe() { return "in-memory store"; }
}
