package dev.edgeppo.k8s;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A fixed policy for the driver's tests: grants half of the ask (rounded up), records what it was asked and told. */
final class HalfDecider implements GrantDecider {
  final List<ClaimAsk> asks = new CopyOnWriteArrayList<>();
  final List<String> ended = new CopyOnWriteArrayList<>();
  volatile boolean failing;

  @Override
  public Grant decide(ClaimAsk ask) {
    if (failing) throw new IllegalStateException("no policy loaded yet");
    asks.add(ask);
    return new Grant("alloc-" + asks.size(), (ask.cores() + 1) / 2, (ask.memoryMib() + 1) / 2);
  }

  @Override
  public void ended(String allocationId, String podUid) { ended.add(allocationId + "@" + podUid); }
}
