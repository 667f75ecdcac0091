package dev.edgeppo.observe.slo;

/** Reads a pod's metrics once; never throws: a failure is a {@link Scrape#failed} with its reason. */
@FunctionalInterface
public interface Scraper {
  Scrape scrape(MetricsEndpoint endpoint, double atSeconds);
}
