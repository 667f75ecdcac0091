package dev.edgeppo.agent;

import dev.edgeppo.storage.StateFs;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The state dir could not make something durable, so the request that needed it was refused and changed
 * nothing. {@link #reason()} is for clients (no file system paths: those stay in the log, in
 * {@link #getMessage()}).
 */
public final class StateDirException extends UncheckedIOException {
  private final String reason;

  public StateDirException(String what, java.nio.file.Path where, IOException cause) {
    super(what + " (" + where + "): " + StateFs.reason(cause), cause);
    this.reason = what + ": " + StateFs.reason(cause);
  }

  public StateDirException(String what, java.nio.file.Path where, String why) {
    super(what + " (" + where + "): " + why, new IOException(why));
    this.reason = what + ": " + why;
  }

  /** What failed and why, without paths. */
  public String reason() { return reason; }
}
