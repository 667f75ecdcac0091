package dev.edgeppo.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real file system with faults injected at chosen operations: ENOSPC or EIO on a write (after part of
 * it reached the file, as a real short write does), EIO on fsync, a failed rename, or a crash at the n-th
 * operation (that operation and every later one fail, as if the process had died there; the test then
 * reopens the directory with the real file system). Everything else happens on real files.
 */
public final class FaultyFs implements StateFs {
  public enum Op { OPEN, WRITE, FORCE, TRUNCATE, RENAME, FSYNC_DIR, READ, DELETE, MKDIRS, CHMOD }

  /** One operation as the code under test asked for it. */
  public record Call(int index, Op op, Path path) {}

  /** Decides whether a call fails; returns the error or null. */
  public interface Fault {
    IOException at(Call c);
  }

  /** Thrown for every operation at and after the crash point. */
  public static final class Crashed extends IOException {
    Crashed(Call c) { super("simulated crash at " + c); }
  }

  public static IOException enospc(Path p) { return new FileSystemException(p.toString(), null, "No space left on device"); }

  public static IOException eio(Path p) { return new FileSystemException(p.toString(), null, "Input/output error"); }

  private final StateFs real = StateFs.real();
  private final AtomicInteger count = new AtomicInteger();
  private final List<Call> calls = java.util.Collections.synchronizedList(new ArrayList<>());
  private volatile Fault fault = c -> null;
  private volatile int crashAt = Integer.MAX_VALUE;

  /** From now on, {@code f} decides which calls fail. */
  public FaultyFs fail(Fault f) {
    this.fault = f;
    return this;
  }

  /** The next call of {@code op} fails with what {@code error} makes of its path; later ones succeed. */
  public FaultyFs failOnce(Op op, java.util.function.Function<Path, IOException> error) {
    AtomicInteger left = new AtomicInteger(1);
    return fail(c -> c.op() == op && left.getAndDecrement() > 0 ? error.apply(c.path()) : null);
  }

  /** Every call of {@code op} fails until {@link #heal}. */
  public FaultyFs failAlways(Op op, java.util.function.Function<Path, IOException> error) {
    return fail(c -> c.op() == op ? error.apply(c.path()) : null);
  }

  public FaultyFs heal() { return fail(c -> null); }

  /** The call with this index (0-based, counted from now on: see {@link #calls}) and all later ones fail. */
  public FaultyFs crashAt(int index) {
    this.crashAt = index;
    return this;
  }

  /** Operations done so far (their count is the next call's index). */
  public List<Call> calls() { synchronized (calls) { return List.copyOf(calls); } }

  private void check(Op op, Path p) throws IOException {
    Call c = new Call(count.getAndIncrement(), op, p);
    calls.add(c);
    if (c.index() >= crashAt) throw new Crashed(c);
    IOException e = fault.at(c);
    if (e != null) throw e;
  }

  private final class File implements AppendFile {
    private final Path path;
    private final AppendFile f;

    File(Path path, AppendFile f) {
      this.path = path;
      this.f = f;
    }

    @Override
    public void write(ByteBuffer b) throws IOException {
      try {
        check(Op.WRITE, path);
      } catch (Crashed c) {
        throw c;
      } catch (IOException e) {
        // A real ENOSPC or EIO comes after a short write: put half of it in the file first.
        ByteBuffer half = b.duplicate();
        half.limit(b.position() + b.remaining() / 2);
        f.write(half);
        throw e;
      }
      f.write(b);
    }

    @Override
    public void force() throws IOException {
      check(Op.FORCE, path);
      f.force();
    }

    @Override
    public void truncate(long size) throws IOException {
      check(Op.TRUNCATE, path);
      f.truncate(size);
    }

    @Override public long size() throws IOException { return f.size(); }

    @Override public void close() throws IOException { f.close(); }
  }

  @Override
  public AppendFile openAppend(Path file, boolean truncate) throws IOException {
    check(Op.OPEN, file);
    return new File(file, real.openAppend(file, truncate));
  }

  @Override
  public void rename(Path from, Path to) throws IOException {
    check(Op.RENAME, to);
    real.rename(from, to);
  }

  @Override
  public void fsyncDir(Path dir) throws IOException {
    check(Op.FSYNC_DIR, dir);
    real.fsyncDir(dir);
  }

  @Override
  public byte[] readIfExists(Path file) throws IOException {
    check(Op.READ, file);
    return real.readIfExists(file);
  }

  @Override
  public void deleteIfExists(Path file) throws IOException {
    check(Op.DELETE, file);
    real.deleteIfExists(file);
  }

  @Override
  public void createDirectories(Path dir) throws IOException {
    check(Op.MKDIRS, dir);
    real.createDirectories(dir);
  }

  @Override
  public void setPermissions(Path file, Set<PosixFilePermission> mode) throws IOException {
    check(Op.CHMOD, file);
    real.setPermissions(file, mode);
  }
}
