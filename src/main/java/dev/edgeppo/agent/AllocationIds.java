package dev.edgeppo.agent;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.UUID;

/**
 * Allocation ids: random (version 4) UUIDs from a cryptographically strong generator, as
 * {@link UUID#randomUUID()} makes them, without its one shared generator. That one (NativePRNG on Linux) holds
 * a lock while it reads /dev/urandom every other id; on /allocate at 5,000/s an event loop waited up to 11 ms
 * for it while the thread holding it was off the CPU (docs/performance.md "Latency of /allocate"). Platform threads (the HTTP
 * event loops, the simulator) get a DRBG of their own, seeded once from the system's entropy; virtual threads,
 * one per request, would seed a new one each time, so they keep {@link UUID#randomUUID()}.
 */
final class AllocationIds {
  private static final ThreadLocal<SecureRandom> OWN = ThreadLocal.withInitial(AllocationIds::drbg);

  private AllocationIds() {}

  static String next() {
    if (Thread.currentThread().isVirtual()) return UUID.randomUUID().toString();
    byte[] b = new byte[16];
    OWN.get().nextBytes(b);
    b[6] = (byte) ((b[6] & 0x0f) | 0x40); // version 4
    b[8] = (byte) ((b[8] & 0x3f) | 0x80); // IETF variant
    long msb = 0, lsb = 0;
    for (int i = 0; i < 8; i++) msb = (msb << 8) | (b[i] & 0xff);
    for (int i = 8; i < 16; i++) lsb = (lsb << 8) | (b[i] & 0xff);
    return new UUID(msb, lsb).toString();
  }

  private static SecureRandom drbg() {
    try {
      return SecureRandom.getInstance("DRBG");
    } catch (NoSuchAlgorithmException e) {
      return new SecureRandom(); // every JDK has DRBG (JEP 273); this only keeps the agent running without it
    }
  }
}
