import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Open-loop HTTP load at a fixed rate over keep-alive connections, for latency at a given throughput
 * (wrk, being closed-loop, measures latency at saturation instead). Each connection sends on a fixed
 * schedule; latency runs from the scheduled send time, so a stall counts for every request it delays
 * (no coordinated omission). Single-file program: no build needed.
 *
 *   java benchmarks/http/Loader.java HOST PORT PATH BODY RATE_PER_S CONNECTIONS SECONDS
 */
public final class Loader {
  public static void main(String[] a) throws Exception {
    String host = a[0], path = a[2], body = a[3];
    int port = Integer.parseInt(a[1]), conns = Integer.parseInt(a[5]);
    double rate = Double.parseDouble(a[4]);
    double seconds = Double.parseDouble(a[6]);
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    byte[] req = ("POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nContent-Length: "
        + b.length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8);
    long intervalNs = (long) (conns * 1e9 / rate);
    long start = System.nanoTime() + 200_000_000L;
    long end = start + (long) (seconds * 1e9);
    AtomicLong errors = new AtomicLong();
    List<long[]> perConn = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < conns; c++) {
      long[] lat = new long[(int) (seconds * 1e9 / intervalNs) + 2];
      perConn.add(lat);
      long offset = intervalNs * c / conns;
      threads.add(Thread.ofVirtual().start(() -> {
        try (Socket s = new Socket()) {
          s.setTcpNoDelay(true);
          s.connect(new InetSocketAddress(host, port));
          OutputStream out = s.getOutputStream();
          InputStream in = new BufferedInputStream(s.getInputStream(), 8192);
          int n = 0;
          for (long due = start + offset; due < end && n < lat.length; due += intervalNs) {
            long wait = due - System.nanoTime();
            if (wait > 0) LockSupport.parkNanos(wait);
            out.write(req);
            out.flush();
            if (readResponse(in) != 200) errors.incrementAndGet();
            lat[n++] = System.nanoTime() - due;
          }
          if (n < lat.length) lat[n] = -1;
        } catch (IOException e) {
          errors.incrementAndGet();
        }
      }));
    }
    for (Thread t : threads) t.join();
    long[] all = perConn.stream().flatMapToLong(l -> Arrays.stream(l).takeWhile(v -> v > 0)).sorted().toArray();
    double took = seconds;
    System.out.printf("target %.0f req/s over %d connections for %.0f s: %d responses (%.0f req/s), %d errors%n",
        rate, conns, seconds, all.length, all.length / took, errors.get());
    System.out.printf("latency  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms%n",
        pct(all, 0.50), pct(all, 0.90), pct(all, 0.99), pct(all, 0.999), all.length == 0 ? 0 : all[all.length - 1] / 1e6);
  }

  static double pct(long[] sorted, double p) {
    if (sorted.length == 0) return Double.NaN;
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] / 1e6;
  }

  /** Reads one HTTP/1.1 response with a Content-Length body; returns its status. */
  static int readResponse(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int status = -1, length = 0;
    boolean first = true;
    while (true) {
      int ch = in.read();
      if (ch < 0) throw new IOException("connection closed");
      if (ch == '\n') {
        String l = line.toString().trim();
        line.setLength(0);
        if (first) {
          status = Integer.parseInt(l.split(" ")[1]);
          first = false;
        } else if (l.isEmpty()) {
          break;
        } else if (l.regionMatches(true, 0, "content-length:", 0, 15)) {
          length = Integer.parseInt(l.substring(15).trim());
        }
      } else {
        line.append((char) ch);
      }
    }
    in.readNBytes(length);
    return status;
  }
}
