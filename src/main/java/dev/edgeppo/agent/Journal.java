package dev.edgeppo.agent;

import dev.edgeppo.ppo.ParamLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Append-only file of completed experiences not yet in a checkpoint. Each record is framed as
 * {@code [u32 length][u32 CRC32C of payload][payload]}, little-endian, so a record torn by a crash is
 * recognised and dropped at open, and the file is cut back to its last whole record.
 *
 * <p>Group commit: {@link #append} only writes; {@link #sync} forces the file once for every record
 * written so far, so threads that wait while one flush runs are served by the next one. A feedback is
 * answered only after its record is synced, so an acknowledged experience survives a crash.
 */
public final class Journal implements AutoCloseable {
  private static final int SD = ParamLayout.STATE_DIM, AD = ParamLayout.ACTION_DIM;
  /** seq, state, action, log_prob, value, reward, next_state, done. */
  static final int PAYLOAD = 8 + 4 * (SD + AD + 3 + SD) + 1;
  static final int HEADER = 8;

  private final Path file;
  private FileChannel channel;
  private final List<Experience> recovered;
  private final long droppedBytes;
  private final Object syncLock = new Object();
  private volatile long writtenSeq = -1;
  private long syncedSeq = -1;

  private Journal(Path file, FileChannel channel, List<Experience> recovered, long droppedBytes) {
    this.file = file;
    this.channel = channel;
    this.recovered = recovered;
    this.droppedBytes = droppedBytes;
  }

  /** Opens (or creates) the journal, reading its whole records and cutting off a torn tail. */
  public static Journal open(Path file) throws IOException {
    List<Experience> out = new ArrayList<>();
    long good = 0, size = 0;
    if (Files.exists(file)) {
      byte[] all = Files.readAllBytes(file);
      size = all.length;
      good = decode(all, out);
    }
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    if (good < size) {
      ch.truncate(good);
      ch.force(true);
    }
    ch.position(good);
    if (size == 0) fsyncDir(file);
    Journal j = new Journal(file, ch, List.copyOf(out), size - good);
    if (!out.isEmpty()) j.writtenSeq = j.syncedSeq = out.getLast().seq();
    return j;
  }

  /** Whole records read at open, in file order. */
  public List<Experience> recovered() { return recovered; }

  /** Bytes of a torn or corrupt tail that open cut off (0 after a clean shutdown). */
  public long droppedBytes() { return droppedBytes; }

  public Path file() { return file; }

  /** Writes one record (callers append in seq order, one at a time); durable after {@link #sync}. */
  public synchronized void append(Experience e) {
    try {
      ByteBuffer b = encode(e);
      while (b.hasRemaining()) channel.write(b);
      writtenSeq = e.seq();
    } catch (IOException x) {
      throw new UncheckedIOException("journal " + file + ": " + x.getMessage(), x);
    }
  }

  /** Returns once every record up to {@code seq} is on disk; one flush serves all waiting callers. */
  public void sync(long seq) {
    synchronized (syncLock) {
      if (syncedSeq >= seq) return;
      long upTo = writtenSeq;
      try {
        channel.force(false);
      } catch (IOException x) {
        throw new UncheckedIOException("journal " + file + ": " + x.getMessage(), x);
      }
      syncedSeq = upTo;
    }
  }

  /**
   * Drops the records a durable checkpoint now holds (seq <= {@code through}): the rest are rewritten to a
   * temp file, synced, renamed over the journal, and the directory synced. A crash at any point leaves
   * either the old or the new file, and replay skips what the checkpoint holds either way.
   */
  public void compact(long through) throws IOException {
    synchronized (syncLock) {
      synchronized (this) {
        channel.force(false);
        List<Experience> keep = new ArrayList<>();
        decode(Files.readAllBytes(file), keep);
        keep.removeIf(e -> e.seq() <= through);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel t = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
          for (Experience e : keep) {
            ByteBuffer b = encode(e);
            while (b.hasRemaining()) t.write(b);
          }
          t.force(true);
        }
        channel.close();
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDir(file);
        channel = FileChannel.open(file, StandardOpenOption.WRITE);
        channel.position(channel.size());
        syncedSeq = writtenSeq;
      }
    }
  }

  @Override
  public void close() throws IOException {
    synchronized (syncLock) {
      synchronized (this) {
        if (channel.isOpen()) {
          channel.force(false);
          channel.close();
        }
      }
    }
  }

  static ByteBuffer encode(Experience e) {
    ByteBuffer p = ByteBuffer.allocate(HEADER + PAYLOAD).order(ByteOrder.LITTLE_ENDIAN);
    p.position(HEADER);
    p.putLong(e.seq());
    for (float v : e.state()) p.putFloat(v);
    for (float v : e.action()) p.putFloat(v);
    p.putFloat(e.logProb()).putFloat(e.value()).putFloat(e.reward());
    for (float v : e.nextState()) p.putFloat(v);
    p.put((byte) (e.done() ? 1 : 0));
    CRC32C crc = new CRC32C();
    crc.update(p.array(), HEADER, PAYLOAD);
    p.putInt(0, PAYLOAD).putInt(4, (int) crc.getValue());
    return p.flip();
  }

  /** Appends the whole records of {@code all} to {@code out}; returns where the last whole record ends. */
  static long decode(byte[] all, List<Experience> out) {
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    int pos = 0;
    long lastSeq = Long.MIN_VALUE;
    while (all.length - pos >= HEADER) {
      int len = b.getInt(pos);
      if (len != PAYLOAD || all.length - pos - HEADER < len) break;
      CRC32C crc = new CRC32C();
      crc.update(all, pos + HEADER, len);
      if ((int) crc.getValue() != b.getInt(pos + 4)) break;
      b.position(pos + HEADER);
      long seq = b.getLong();
      if (seq <= lastSeq) break; // records are written in seq order; anything else is not ours
      float[] s = floats(b, SD), a = floats(b, AD);
      float lp = b.getFloat(), v = b.getFloat(), r = b.getFloat();
      float[] ns = floats(b, SD);
      byte done = b.get();
      if (done != 0 && done != 1) break;
      out.add(new Experience(seq, s, a, lp, v, r, ns, done == 1));
      lastSeq = seq;
      pos += HEADER + len;
    }
    return pos;
  }

  private static float[] floats(ByteBuffer b, int n) {
    float[] f = new float[n];
    for (int i = 0; i < n; i++) f[i] = b.getFloat();
    return f;
  }

  static void fsyncDir(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // Some filesystems refuse to open a directory for sync; the rename is then as durable as they allow.
      if (!System.getProperty("os.name", "").startsWith("Linux")) return;
      throw e;
    }
  }
}
