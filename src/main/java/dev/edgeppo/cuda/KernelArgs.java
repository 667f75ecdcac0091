package dev.edgeppo.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The arguments of one kernel launch, one per parameter of the kernel's C signature, in order; built
 * only by {@link Kernels}' typed methods. {@link #values} turns them into what cuLaunchKernel's
 * kernelParams point at, the same for every runner: each runner says only what address a device
 * pointer has and where to put the bytes.
 */
final class KernelArgs {
  /** One argument: a device pointer, an {@code int}, a {@code float}, or a struct passed by value. */
  sealed interface Arg {}

  record Ptr(DevicePtr at) implements Arg {}

  record I32(int value) implements Arg {}

  record F32(float value) implements Arg {}

  record Struct(byte[] bytes) implements Arg {}

  private final List<Arg> args = new ArrayList<>();

  KernelArgs ptr(DevicePtr p) {
    args.add(new Ptr(java.util.Objects.requireNonNull(p, "device pointer")));
    return this;
  }

  KernelArgs i32(int v) {
    args.add(new I32(v));
    return this;
  }

  KernelArgs f32(float v) {
    args.add(new F32(v));
    return this;
  }

  KernelArgs struct(byte[] bytes) {
    args.add(new Struct(bytes.clone()));
    return this;
  }

  int size() { return args.size(); }

  /**
   * Each argument's bytes as the kernel reads them (little-endian, as both the x86/ARM hosts and the
   * GPU store them); a device pointer as the 8-byte address {@code address} gives it.
   */
  byte[][] values(ToLongFunction<DevicePtr> address) {
    byte[][] out = new byte[args.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = switch (args.get(i)) {
        case Ptr p -> le(8).putLong(address.applyAsLong(p.at())).array();
        case I32 v -> le(4).putInt(v.value()).array();
        case F32 v -> le(4).putFloat(v.value()).array();
        case Struct s -> s.bytes();
      };
    }
    return out;
  }

  private static ByteBuffer le(int n) { return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN); }
}
