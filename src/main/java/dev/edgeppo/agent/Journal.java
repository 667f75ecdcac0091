package dev.edgeppo.agent;

import dev.edgeppo.ppo.ParamLayout;
import dev.edgeppo.storage.StateFs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * Append-only file of completed experiences not yet in a checkpoint. Each record is framed as
 * {@code [u32 length][u32 CRC32C of payload][payload]}, little-endian, and carries its seq; records are
 * written in seq order.
 *
 * <p><b>Group commit.</b> {@link #append} only writes; {@link #sync} forces the file once for every record
 * written so far, so threads that wait while one flush runs are served by the next one. A feedback is
 * answered only after its record is synced.
 *
 * <p><b>Faults.</b> A failed write is cut back to the end of the last whole record before the call returns,
 * so no partial record is ever left in the middle of the file. A failed fsync loses every record written
 * since the last good one (their feedbacks are refused): the file is cut back to the last synced offset and
 * forced again. When even that fails the journal is <em>broken</em>: it refuses appends, {@link #health}
 * says why (so /readyz answers 503), and the next append tries the repair again.
 *
 * <p><b>Recovery at open.</b> Every record whose CRC is valid and whose seq follows the last kept one is
 * kept, wherever it lies. Bytes after the last valid record are a torn tail (a crash mid-write) and are
 * cut off. Invalid bytes <em>between</em> valid records are not a torn write but corruption: they are
 * skipped, not truncated, and reported ({@link #corruptRegions}); the next compaction rewrites the file
 * without them. Unlike a key-value WAL (etcd refuses to start on mid-file corruption, because skipping an
 * entry would corrupt the state built on it), each record here is a self-contained experience: keeping the
 * valid ones loses only the damaged one, while refusing to start would take the node's agent down for a
 * problem the operator can only fix by deleting the file.
 */
public final class Journal implements AutoCloseable {
  private static final int SD = ParamLayout.STATE_DIM, AD = ParamLayout.ACTION_DIM;
  /** seq, state, action, log_prob, value, reward, next_state, done. */
  static final int PAYLOAD = 8 + 4 * (SD + AD + 3 + SD) + 1;
  static final int HEADER = 8;
  static final int RECORD = HEADER + PAYLOAD;

  /** Invalid bytes found between valid records at open. */
  public record Corruption(long offset, long length) {}

  private final StateFs fs;
  private final Path file;
  private final List<Experience> recovered;
  private final long droppedBytes;
  private final List<Corruption> corrupt;
  private final Object syncLock = new Object();

  // Guarded by this (append side).
  private StateFs.AppendFile out;
  private long writtenOffset;
  private volatile long writtenSeq = -1;
  /** Seq ranges [from, to] whose records were cut back after a failed fsync: their sync must fail. */
  private final List<long[]> lost = new ArrayList<>();
  private volatile String broken;

  // Written under syncLock (and under this when the file is cut back); read under either.
  private volatile long syncedSeq = -1;
  private volatile long syncedOffset;

  private Journal(StateFs fs, Path file, StateFs.AppendFile out, long size, List<Experience> recovered, long droppedBytes,
                  List<Corruption> corrupt) {
    this.fs = fs;
    this.file = file;
    this.out = out;
    this.writtenOffset = this.syncedOffset = size;
    this.recovered = recovered;
    this.droppedBytes = droppedBytes;
    this.corrupt = corrupt;
    if (!recovered.isEmpty()) writtenSeq = syncedSeq = recovered.getLast().seq();
  }

  public static Journal open(Path file) throws IOException { return open(StateFs.real(), file); }

  /** Opens (or creates) the journal, keeping every valid record and cutting off a torn tail. */
  public static Journal open(StateFs fs, Path file) throws IOException {
    fs.deleteIfExists(StateFs.tempOf(file)); // left by a crash during a compaction: the journal itself is whole
    byte[] all = fs.readIfExists(file);
    boolean created = all == null;
    if (all == null) all = new byte[0];
    List<Experience> out = new ArrayList<>();
    List<Corruption> corrupt = new ArrayList<>();
    long end = decode(all, out, corrupt);
    StateFs.AppendFile f = fs.openAppend(file, false);
    try {
      if (end < all.length) {
        f.truncate(end);
        f.force();
      }
      if (created) fs.fsyncDir(StateFs.parent(file));
    } catch (IOException e) {
      f.close();
      throw e;
    }
    return new Journal(fs, file, f, end, List.copyOf(out), all.length - end, List.copyOf(corrupt));
  }

  /** Whole records read at open, in file order. */
  public List<Experience> recovered() { return recovered; }

  /** Bytes of a torn tail that open cut off (0 after a clean shutdown). */
  public long droppedBytes() { return droppedBytes; }

  /** Corrupt stretches between valid records found at open (kept in the file until the next compaction). */
  public List<Corruption> corruptRegions() { return corrupt; }

  /** Empty while the journal accepts appends, else why not (no paths). */
  public Optional<String> health() { return Optional.ofNullable(broken); }

  /**
   * Writes one record (callers append in seq order, one at a time); durable after {@link #sync}. On failure
   * the file is as it was before the call (or the journal is broken and says so) and the exception is thrown.
   */
  public synchronized void append(Experience e) {
    if (broken != null) repair();
    long before = writtenOffset;
    try {
      out.write(encode(e));
      writtenOffset = before + RECORD;
      writtenSeq = e.seq();
    } catch (IOException x) {
      cutBack(before, "journal append failed; the partial record was cut off", x);
      throw new StateDirException("cannot write the journal", file, x);
    }
  }

  /** Returns once every record up to {@code seq} is on disk; one flush serves all waiting callers. */
  public void sync(long seq) {
    synchronized (syncLock) {
      checkNotLost(seq);
      if (syncedSeq >= seq) return;
      long upTo, offset;
      StateFs.AppendFile f;
      synchronized (this) {
        if (broken != null) throw new StateDirException("journal unusable", file, broken);
        upTo = writtenSeq;
        offset = writtenOffset;
        f = out;
      }
      try {
        f.force();
      } catch (IOException x) {
        synchronized (this) {
          // After a failed fsync the kernel may have dropped the dirty pages (and cleared the error), so
          // nothing written since the last good sync can be trusted: cut it off, refuse those feedbacks.
          if (writtenSeq > syncedSeq) lost.add(new long[] {syncedSeq + 1, writtenSeq});
          cutBack(syncedOffset, "journal fsync failed; records since the last good fsync were cut off", x);
        }
        throw new StateDirException("cannot fsync the journal", file, x);
      }
      syncedSeq = upTo;
      syncedOffset = offset;
    }
  }

  /** Under this: truncates to {@code offset} and forces; marks the journal broken if that fails too. */
  private void cutBack(long offset, String what, IOException cause) {
    try {
      out.truncate(offset);
      out.force();
      writtenOffset = offset;
    } catch (IOException again) {
      cause.addSuppressed(again);
      broken = what + ", and cutting it back failed too (" + StateFs.reason(again) + ")";
    }
  }

  /** Under this: reopens the file and cuts it back to the last synced offset. */
  private void repair() {
    try {
      StateFs.AppendFile f = fs.openAppend(file, false);
      try {
        f.truncate(syncedOffset);
        f.force();
      } catch (IOException e) {
        f.close();
        throw e;
      }
      try {
        out.close();
      } catch (IOException ignored) {
        // the old handle is being replaced because it failed
      }
      out = f;
      writtenOffset = syncedOffset;
      if (writtenSeq > syncedSeq) lost.add(new long[] {syncedSeq + 1, writtenSeq});
      broken = null;
    } catch (IOException e) {
      throw new StateDirException("journal unusable", file, broken + "; repair failed: " + StateFs.reason(e));
    }
  }

  private void checkNotLost(long seq) {
    synchronized (this) {
      for (long[] r : lost)
        if (seq >= r[0] && seq <= r[1])
          throw new StateDirException("cannot fsync the journal", file, "an earlier fsync failed and this record was cut off");
    }
  }

  /**
   * Drops the records a durable checkpoint now holds (seq <= {@code through}): the rest are rewritten to a
   * temp file and renamed over the journal ({@link StateFs#replaceAtomically}). A crash at any point leaves
   * either the old or the new file, and replay skips what the checkpoint holds either way. On failure the
   * journal stays open and usable on whichever file is in place.
   */
  public void compact(long through) throws IOException {
    synchronized (syncLock) {
      synchronized (this) {
        if (broken != null) repair();
        out.force();
        syncedSeq = writtenSeq;
        syncedOffset = writtenOffset;
        byte[] all = fs.readIfExists(file);
        List<Experience> keep = new ArrayList<>();
        decode(all == null ? new byte[0] : all, keep, new ArrayList<>());
        keep.removeIf(e -> e.seq() <= through);
        try {
          fs.replaceAtomically(file, f -> {
            for (Experience e : keep) f.write(encode(e));
          });
        } finally {
          reopen();
        }
      }
    }
  }

  /** Under both locks: points the appender at whatever file is now in place (old or compacted). */
  private void reopen() throws IOException {
    StateFs.AppendFile f;
    long size;
    try {
      f = fs.openAppend(file, false);
      size = f.size();
    } catch (IOException e) {
      broken = "journal could not be reopened after compaction (" + StateFs.reason(e) + ")";
      throw e;
    }
    try {
      out.close();
    } catch (IOException ignored) {
      // replaced either way
    }
    out = f;
    writtenOffset = syncedOffset = size;
    syncedSeq = writtenSeq;
  }

  @Override
  public void close() throws IOException {
    synchronized (syncLock) {
      synchronized (this) {
        try {
          if (broken == null) out.force();
        } finally {
          out.close();
        }
      }
    }
  }

  static ByteBuffer encode(Experience e) {
    ByteBuffer p = ByteBuffer.allocate(RECORD).order(ByteOrder.LITTLE_ENDIAN);
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

  /**
   * Appends every valid record of {@code all} to {@code out} and every invalid stretch between valid records
   * to {@code corrupt}; returns where the last valid record ends (what follows is a torn tail).
   */
  static long decode(byte[] all, List<Experience> out, List<Corruption> corrupt) {
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    long lastSeq = Long.MIN_VALUE;
    int pos = 0, end = 0;
    int badFrom = -1;
    while (all.length - pos >= RECORD) {
      Experience e = recordAt(all, b, pos, lastSeq);
      if (e == null) {
        if (badFrom < 0) badFrom = pos;
        pos++; // resynchronise: the next valid record may start anywhere
        continue;
      }
      if (badFrom >= 0) corrupt.add(new Corruption(badFrom, pos - badFrom));
      badFrom = -1;
      out.add(e);
      lastSeq = e.seq();
      pos += RECORD;
      end = pos;
    }
    return end;
  }

  /** The record at {@code pos} when its length, CRC, seq order and done flag are valid; else null. */
  private static Experience recordAt(byte[] all, ByteBuffer b, int pos, long lastSeq) {
    if (b.getInt(pos) != PAYLOAD) return null;
    CRC32C crc = new CRC32C();
    crc.update(all, pos + HEADER, PAYLOAD);
    if ((int) crc.getValue() != b.getInt(pos + 4)) return null;
    int p = pos + HEADER;
    long seq = b.getLong(p);
    if (seq <= lastSeq) return null; // records are written in seq order; anything else is not ours
    byte done = all[pos + RECORD - 1];
    if (done != 0 && done != 1) return null;
    p += 8;
    float[] s = floats(b, p, SD);
    p += 4 * SD;
    float[] a = floats(b, p, AD);
    p += 4 * AD;
    float lp = b.getFloat(p), v = b.getFloat(p + 4), r = b.getFloat(p + 8);
    p += 12;
    float[] ns = floats(b, p, SD);
    return new Experience(seq, s, a, lp, v, r, ns, done == 1);
  }

  private static float[] floats(ByteBuffer b, int at, int n) {
    float[] f = new float[n];
    for (int i = 0; i < n; i++) f[i] = b.getFloat(at + 4 * i);
    return f;
  }
}
