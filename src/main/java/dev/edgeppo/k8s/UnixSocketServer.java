package dev.edgeppo.k8s;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC server on a unix domain socket (grpc-netty-shaded's bundled epoll transport). A socket file left
 * by an earlier run is removed before binding; closing removes ours, which is how the kubelet learns that
 * a plugin went away.
 */
final class UnixSocketServer implements AutoCloseable {
  /**
   * grpc-netty sets SO_KEEPALIVE on every channel, an option a unix socket does not have, and netty's
   * bootstrap package warns once per connection (client and server side). Kept in a field: java.util.logging
   * holds loggers weakly.
   */
  private static final java.util.logging.Logger KEEPALIVE_WARNINGS = quiet("io.grpc.netty.shaded.io.netty.bootstrap");

  private static java.util.logging.Logger quiet(String name) {
    java.util.logging.Logger l = java.util.logging.Logger.getLogger(name);
    l.setLevel(java.util.logging.Level.SEVERE);
    return l;
  }

  private final Path socket;
  private final Server server;
  private final EventLoopGroup group;

  private UnixSocketServer(Path socket, Server server, EventLoopGroup group) {
    this.socket = socket;
    this.server = server;
    this.group = group;
  }

  static UnixSocketServer start(Path socket, BindableService service) throws IOException {
    KEEPALIVE_WARNINGS.getName(); // initialised before the first channel
    if (!Epoll.isAvailable())
      throw new IOException("unix sockets need netty's epoll transport, which cannot load here: " + Epoll.unavailabilityCause());
    Path abs = socket.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    Files.deleteIfExists(abs);
    EventLoopGroup group = new EpollEventLoopGroup(1);
    try {
      Server s = NettyServerBuilder.forAddress(new DomainSocketAddress(abs.toString()))
          .channelType(EpollServerDomainSocketChannel.class)
          .bossEventLoopGroup(group)
          .workerEventLoopGroup(group)
          .addService(service)
          .build()
          .start();
      return new UnixSocketServer(abs, s, group);
    } catch (IOException | RuntimeException e) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw new IOException("cannot serve on " + abs + ": " + e.getMessage(), e);
    }
  }

  Path socket() { return socket; }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(2, TimeUnit.SECONDS)) server.shutdownNow();
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      // A socket file we cannot delete is replaced at the next start.
    }
  }
}
