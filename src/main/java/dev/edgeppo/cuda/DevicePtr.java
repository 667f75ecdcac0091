package dev.edgeppo.cuda;

/** A position inside a device buffer, in floats (ints count as floats: both are 4 bytes). */
public record DevicePtr(DeviceBuffer buffer, long offset) {
  public DevicePtr {
    if (offset < 0 || offset > buffer.floats())
      throw new IllegalArgumentException("offset " + offset + " outside a buffer of " + buffer.floats() + " floats");
  }

  /** Checks that {@code count} floats from here stay inside the buffer. */
  void requireRoom(long count, String what) {
    if (count < 0 || offset + count > buffer.floats())
      throw new IllegalArgumentException(what + ": " + count + " floats at offset " + offset + " overrun a buffer of "
          + buffer.floats());
  }
}
