package dev.edgeppo.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * The few file operations the state dir's durability rests on, and nothing else: open a file for
 * appending, write, force, truncate, rename atomically, fsync a directory, read, delete. Production uses
 * {@link #real()}; tests wrap it to inject ENOSPC, EIO on write or fsync, a failed rename, or a crash
 * between two operations, so every step of the durability protocol is tested against real files.
 *
 * <p>Two policies live here once, for every file edgeppo keeps (the agent's state dir, the DRA driver's
 * claims and CDI specs, train-once's output): {@link #fsyncDir} (an error is an error on Linux; only a file
 * system that cannot open directories at all is excused) and {@link #replaceAtomically} (temp file, force,
 * rename, directory fsync; the temp file removed on any failure).
 */
public interface StateFs {
  /** A file open for appending at its end. Not thread-safe: callers serialise. */
  interface AppendFile extends AutoCloseable {
    /** Writes all of {@code b} at the end; on failure some prefix may have reached the file. */
    void write(ByteBuffer b) throws IOException;

    /** fsync (data and metadata needed to read it back). */
    void force() throws IOException;

    /** Cuts the file to {@code size} bytes and continues appending there. */
    void truncate(long size) throws IOException;

    long size() throws IOException;

    @Override
    void close() throws IOException;
  }

  /** Opens (creating if absent) {@code file} for appending; {@code truncate} empties it first. */
  AppendFile openAppend(Path file, boolean truncate) throws IOException;

  /** Renames {@code from} over {@code to} atomically (replacing it). */
  void rename(Path from, Path to) throws IOException;

  /** Makes a rename or a creation in {@code dir} durable. */
  void fsyncDir(Path dir) throws IOException;

  /** The whole file, or null when it does not exist. */
  byte[] readIfExists(Path file) throws IOException;

  void deleteIfExists(Path file) throws IOException;

  void createDirectories(Path dir) throws IOException;

  /** Sets a file's permission bits exactly (whatever the umask made of them at creation). */
  void setPermissions(Path file, Set<PosixFilePermission> mode) throws IOException;

  /** Writes what {@code body} puts in a temp file. */
  interface Body {
    void writeTo(AppendFile f) throws IOException;
  }

  /**
   * Replaces {@code target} whole: the body goes to {@code target.tmp} in the same directory, which is
   * forced, closed and renamed over the target; then the directory is fsynced. A crash leaves the old or
   * the new file, never a mix; on any failure the temp file is removed and the target is untouched (unless
   * only the directory fsync failed, when the new file is in place but its durability is unknown).
   */
  default void replaceAtomically(Path target, Body body) throws IOException { replaceAtomically(target, null, body); }

  /** {@link #replaceAtomically(Path, Body)} of these bytes. */
  default void replaceAtomically(Path target, byte[] bytes) throws IOException {
    replaceAtomically(target, f -> f.write(ByteBuffer.wrap(bytes)));
  }

  /**
   * {@link #replaceAtomically(Path, Body)}, the new file given permission bits {@code mode} (null: as
   * created) before it is renamed into place, so no reader ever sees it with others.
   */
  default void replaceAtomically(Path target, Set<PosixFilePermission> mode, Body body) throws IOException {
    Path tmp = tempOf(target);
    boolean renamed = false;
    try {
      try (AppendFile f = openAppend(tmp, true)) {
        body.writeTo(f);
        f.force();
      }
      if (mode != null) setPermissions(tmp, mode);
      rename(tmp, target);
      renamed = true;
      fsyncDir(parent(target));
    } finally {
      if (!renamed) {
        try {
          deleteIfExists(tmp);
        } catch (IOException suppressed) {
          // the failure being thrown says more; a stray tmp is removed at the next attempt
        }
      }
    }
  }

  /** The temp file {@link #replaceAtomically} uses for {@code target}; a crash may leave it behind. */
  static Path tempOf(Path target) { return target.resolveSibling(target.getFileName() + ".tmp"); }

  static Path parent(Path file) { return file.toAbsolutePath().getParent(); }

  static StateFs real() { return RealFs.INSTANCE; }

  /**
   * What went wrong, for an operator, without the path: Java's AccessDeniedException and
   * NoSuchFileException carry only the file name, so say the reason ("permission denied").
   */
  static String reason(IOException e) {
    if (e instanceof AccessDeniedException) return "permission denied";
    if (e instanceof NoSuchFileException) return "no such file or directory";
    if (e instanceof NotDirectoryException) return "not a directory";
    if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }
}
