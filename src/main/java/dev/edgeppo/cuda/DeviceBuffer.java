package dev.edgeppo.cuda;

/** Device memory owned by a {@link KernelRunner}: GPU memory through JCuda, native host memory on cuda-host. */
public interface DeviceBuffer extends AutoCloseable {
  long floats();

  default DevicePtr at(long offset) { return new DevicePtr(this, offset); }

  @Override
  void close();
}
