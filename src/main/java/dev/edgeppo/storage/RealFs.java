package dev.edgeppo.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/** {@link StateFs} on the real file system through NIO. */
final class RealFs implements StateFs {
  static final RealFs INSTANCE = new RealFs();
  private static final boolean LINUX = System.getProperty("os.name", "").startsWith("Linux");

  private RealFs() {}

  private static final class Channel implements AppendFile {
    private final FileChannel ch;

    Channel(FileChannel ch) { this.ch = ch; }

    @Override
    public void write(ByteBuffer b) throws IOException {
      while (b.hasRemaining()) ch.write(b);
    }

    @Override public void force() throws IOException { ch.force(true); }

    @Override
    public void truncate(long size) throws IOException {
      ch.truncate(size);
      ch.position(size);
    }

    @Override public long size() throws IOException { return ch.size(); }

    @Override public void close() throws IOException { ch.close(); }
  }

  @Override
  public AppendFile openAppend(Path file, boolean truncate) throws IOException {
    FileChannel ch = truncate
        ? FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)
        : FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    ch.position(ch.size());
    return new Channel(ch);
  }

  @Override
  public void rename(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot replace " + to + " atomically on this file system", e);
    }
  }

  /**
   * One policy for every directory fsync: on Linux a failure is reported (a rename whose directory entry
   * may not be on disk is not durable, so the caller must know); elsewhere some file systems cannot open a
   * directory for sync at all, and the rename is then as durable as they make it.
   */
  @Override
  public void fsyncDir(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      if (LINUX) throw e;
    }
  }

  @Override
  public byte[] readIfExists(Path file) throws IOException {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  @Override public void deleteIfExists(Path file) throws IOException { Files.deleteIfExists(file); }

  @Override public void createDirectories(Path dir) throws IOException { Files.createDirectories(dir); }

  @Override
  public void setPermissions(Path file, Set<PosixFilePermission> mode) throws IOException {
    Files.setPosixFilePermissions(file, mode);
  }
}
