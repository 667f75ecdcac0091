package dev.edgeppo.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The HTTP/1.1 edge in front of {@link Router}: Netty's codec parses, and this class owns every limit a hostile
 * or careless client meets, each answered with a status line rather than a reset (docs/design.md "The HTTP server" says why
 * Netty and not the JDK's HttpServer):
 * <ul>
 *   <li>connections per client address and in all, so that one client cannot lock the others out;</li>
 *   <li>an idle connection waits {@link Limits#idleTimeout} for its next request; from a request's first byte its
 *       header block must arrive within {@link Limits#headerTimeout} and the whole request within
 *       {@link Limits#requestTimeout}, else 408;</li>
 *   <li>request line, header bytes and header fields bounded (414, 431); bodies over {@link Router#MAX_BODY} get
 *       413, decided on Content-Length before any 100 Continue;</li>
 *   <li>after a refusal the server half-closes and reads and discards what the client still sends, up to a bound
 *       (a lingering close), so that the refusal is read instead of destroyed by a reset.</li>
 * </ul>
 * Requests run on virtual threads, one at a time per connection in order; the event loops parse and write, and
 * answer themselves the requests the router says never block ({@link Router#answersAtOnce}: /allocate).
 */
public final class AgentServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(AgentServer.class.getName());

  /**
   * Every limit of the edge.
   *
   * @param lingerBytes after a refusal, at most this much more is read and discarded before closing
   * @param lingerTime  ... and for at most this long
   */
  record Limits(int maxConnections, int maxConnectionsPerClient, Duration idleTimeout, Duration headerTimeout,
                Duration requestTimeout, int maxRequestLine, int maxHeaderBytes, int maxHeaderFields, long lingerBytes,
                Duration lingerTime) {
    /**
     * What {@code serve} uses: the request deadline is {@code read_timeout_seconds}; a header block (a few hundred
     * bytes from any real client) gets half of it, at most 5 s.
     */
    static Limits of(Duration readTimeout) {
      Duration header = readTimeout.dividedBy(2);
      if (header.compareTo(Duration.ofSeconds(5)) > 0) header = Duration.ofSeconds(5);
      if (header.compareTo(Duration.ofMillis(500)) < 0) header = Duration.ofMillis(500);
      return new Limits(MAX_CONNECTIONS, MAX_CONNECTIONS_PER_CLIENT, Duration.ofSeconds(30), header, readTimeout,
          8 * 1024, 32 * 1024, 64, 4L * Router.MAX_BODY, Duration.ofSeconds(2));
    }
  }

  static final int MAX_CONNECTIONS = 1024;
  static final int MAX_CONNECTIONS_PER_CLIENT = 128;
  /** Decoded messages held for a connection while its current request is answered (HTTP pipelining). */
  static final int MAX_PIPELINED = 64;

  private final Channel listener;
  private final EventLoopGroup loops;
  private final ExecutorService executor;
  private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Router router;
  private final Limits limits;
  private final Gate gate;

  private AgentServer(Router router, Limits limits, InetSocketAddress bind) throws IOException {
    this.router = router;
    this.limits = limits;
    this.gate = new Gate();
    this.loops = new MultiThreadIoEventLoopGroup(Math.max(1, Runtime.getRuntime().availableProcessors()),
        new DefaultThreadFactory("edgeppo-http", true), NioIoHandler.newFactory());
    this.executor = Executors.newVirtualThreadPerTaskExecutor();
    ServerBootstrap b = new ServerBootstrap().group(loops).channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            Exchange ex = new Exchange();
            ch.pipeline().addLast(gate, new Meter(ex), new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxRequestLine()).setMaxHeaderSize(limits.maxHeaderBytes())
                .setMaxChunkSize(64 * 1024)), ex);
          }
        });
    ChannelFuture bound = b.bind(bind).awaitUninterruptibly();
    if (!bound.isSuccess()) {
      loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      executor.shutdown();
      Throwable c = bound.cause();
      throw c instanceof IOException io ? io : new IOException(String.valueOf(c.getMessage()), c);
    }
    this.listener = bound.channel();
  }

  static AgentServer start(InetSocketAddress bind, Router router, Duration readTimeout) throws IOException {
    return new AgentServer(router, Limits.of(readTimeout), bind);
  }

  static AgentServer start(InetSocketAddress bind, Router router, Limits limits) throws IOException {
    return new AgentServer(router, limits, bind);
  }

  public int port() { return ((InetSocketAddress) listener.localAddress()).getPort(); }

  /** Stops accepting, waits up to {@code seconds} for requests being answered, then closes every connection. */
  public void stop(int seconds) {
    listener.close().syncUninterruptibly();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    channels.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
    executor.shutdown();
  }

  @Override
  public void close() { stop(0); }

  /** Counts connections in all and per client address; past either limit a new connection is closed at once. */
  @ChannelHandler.Sharable
  private final class Gate extends ChannelInboundHandlerAdapter {
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> perClient = new ConcurrentHashMap<>();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong lastLog = new AtomicLong(System.nanoTime() - TimeUnit.MINUTES.toNanos(1));

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      Channel ch = ctx.channel();
      InetAddress client = ((InetSocketAddress) ch.remoteAddress()).getAddress();
      int total = open.incrementAndGet();
      int mine = perClient.merge(client, 1, Integer::sum);
      ch.closeFuture().addListener(f -> {
        open.decrementAndGet();
        perClient.computeIfPresent(client, (k, n) -> n == 1 ? null : n - 1);
      });
      if (total > limits.maxConnections() || mine > limits.maxConnectionsPerClient()) {
        refuse(client, total, mine);
        ch.close();
        return;
      }
      channels.add(ch);
      ctx.fireChannelActive();
    }

    /** One warning every 10 s at most, with the count since the last, so a flood cannot flood the log. */
    private void refuse(InetAddress client, int total, int mine) {
      long n = refused.incrementAndGet(), now = System.nanoTime(), last = lastLog.get();
      if (now - last > TimeUnit.SECONDS.toNanos(10) && lastLog.compareAndSet(last, now)) {
        refused.addAndGet(-n);
        LOG.warning("refused " + n + " connection(s) past the limits (last from " + client.getHostAddress() + ": "
            + mine + " open from it, " + total + " in all; limits " + limits.maxConnectionsPerClient()
            + " per client, " + limits.maxConnections() + " in all)");
      }
    }
  }

  /** Sees raw bytes before the codec: starts a request's deadlines at its first byte, and swallows input while lingering. */
  private final class Meter extends ChannelInboundHandlerAdapter {
    private final Exchange ex;

    Meter(Exchange ex) { this.ex = ex; }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf buf) {
        if (ex.state == State.CLOSING) {
          ex.discarded += buf.readableBytes();
          buf.release();
          if (ex.discarded > limits.lingerBytes()) ctx.close();
          return;
        }
        if (ex.state == State.IDLE && buf.isReadable()) ex.requestStarted();
      }
      ctx.fireChannelRead(msg);
    }
  }

  private enum State { IDLE, HEADERS, BODY, ROUTING, CLOSING }

  /** One connection's requests, in order; all its fields are touched on its event loop only. */
  private final class Exchange extends ChannelInboundHandlerAdapter {
    State state = State.IDLE;
    long discarded;
    private ScheduledFuture<?> idleTimer, headerTimer, requestTimer;
    private final ArrayDeque<Object> pipelined = new ArrayDeque<>();
    private HttpRequest request;
    private byte[] body = new byte[0];
    private int bodyLength;
    private long started;
    /** This handler's own context: writes from it pass through the codec's encoder. */
    private ChannelHandlerContext ctx;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) { this.ctx = ctx; }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      armIdle(ctx);
      ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      cancelTimers();
      pipelined.forEach(ReferenceCountUtil::release);
      pipelined.clear();
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A peer's reset or a failed write ends the connection; there is nobody left to answer.
      LOG.log(Level.FINE, "connection ended", cause);
      ctx.close();
    }

    void requestStarted() {
      cancel(idleTimer);
      state = State.HEADERS;
      started = System.nanoTime();
      headerTimer = ctx.executor().schedule(() -> {
        if (state == State.HEADERS)
          refuse(ctx, 408, "request headers not complete within " + seconds(limits.headerTimeout()), "other", false);
      }, limits.headerTimeout().toNanos(), TimeUnit.NANOSECONDS);
      requestTimer = ctx.executor().schedule(() -> {
        if (state == State.HEADERS || state == State.BODY)
          refuse(ctx, 408, "request not complete within " + seconds(limits.requestTimeout()), endpoint(), false);
      }, limits.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    private String endpoint() { return request == null ? "other" : Router.endpoint(path(request.uri())); }

    private void armIdle(ChannelHandlerContext ctx) {
      idleTimer = ctx.executor().schedule(() -> {
        if (state == State.IDLE) ctx.close();
      }, limits.idleTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (state == State.CLOSING) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (state == State.ROUTING) {
        // A pipelined request: answered in order once the current one is; reading pauses if a client sends many.
        pipelined.add(msg);
        if (pipelined.size() >= MAX_PIPELINED) ctx.channel().config().setAutoRead(false);
        return;
      }
      try {
        if (msg instanceof HttpRequest r) onHead(ctx, r);
        if (msg instanceof HttpContent c && state == State.BODY) onContent(ctx, c);
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    private void onHead(ChannelHandlerContext ctx, HttpRequest r) {
      if (state == State.IDLE) requestStarted();
      cancel(headerTimer);
      request = r;
      bodyLength = 0;
      state = State.BODY;
      DecoderResult dr = r.decoderResult();
      if (dr.isFailure()) {
        Throwable cause = dr.cause();
        if (cause instanceof TooLongHttpLineException)
          refuse(ctx, 414, "request line exceeds " + limits.maxRequestLine() + " bytes", "other", false);
        else if (cause instanceof TooLongHttpHeaderException)
          refuse(ctx, 431, "header block exceeds " + limits.maxHeaderBytes() + " bytes", "other", false);
        else refuse(ctx, 400, "malformed request: " + String.valueOf(cause.getMessage()), "other", false);
        return;
      }
      if (r.headers().size() > limits.maxHeaderFields()) {
        refuse(ctx, 431, "more than " + limits.maxHeaderFields() + " header fields", endpoint(), false);
        return;
      }
      String expect = r.headers().get(HttpHeaderNames.EXPECT);
      if (expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect)) {
        refuse(ctx, 417, "only Expect: 100-continue is supported", endpoint(), false);
        return;
      }
      long declared = HttpUtil.getContentLength(r, -1L);
      if (declared > Router.MAX_BODY) {
        // Decided on the declared length alone, before any 100 Continue, and routed (401 before 413, as always).
        dispatch(ctx, true, true);
        return;
      }
      if (expect != null && (declared > 0 || HttpUtil.isTransferEncodingChunked(r)))
        ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
      if (declared > 0) body = new byte[(int) Math.min(declared, 64 * 1024)];
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent c) {
      if (c.decoderResult().isFailure()) {
        refuse(ctx, 400, "malformed body: " + String.valueOf(c.decoderResult().cause().getMessage()), endpoint(), false);
        return;
      }
      ByteBuf in = c.content();
      int n = in.readableBytes();
      if ((long) bodyLength + n > Router.MAX_BODY) {
        // A chunked body past the limit: refused as soon as it is known, the rest discarded.
        dispatch(ctx, true, true);
        return;
      }
      if (bodyLength + n > body.length) body = Arrays.copyOf(body, Math.max(bodyLength + n, Math.min(Router.MAX_BODY, body.length * 2)));
      in.readBytes(body, bodyLength, n);
      bodyLength += n;
      if (c instanceof LastHttpContent) {
        cancel(requestTimer);
        dispatch(ctx, false, false);
      }
    }

    /**
     * Hands the request to the router on a virtual thread, or routes it right here when it never blocks; later
     * requests on the connection wait their turn.
     */
    private void dispatch(ChannelHandlerContext ctx, boolean tooLarge, boolean closeAfter) {
      HttpRequest r = request;
      boolean head = HttpMethod.HEAD.equals(r.method());
      // HEAD is answered as GET without the body (RFC 9110 §9.3.2).
      String method = head ? "GET" : r.method().name();
      byte[] b = tooLarge || bodyLength == 0 ? EMPTY : bodyLength == body.length ? body : Arrays.copyOf(body, bodyLength);
      body = EMPTY;
      boolean keepAlive = HttpUtil.isKeepAlive(r) && !closeAfter;
      Router.Request req = new Router.Request(method, path(r.uri()), r.headers().get(HttpHeaderNames.AUTHORIZATION), b, tooLarge);
      long t0 = started;
      boolean http10 = HttpVersion.HTTP_1_0.equals(r.protocolVersion());
      if (closeAfter) {
        cancelTimers();
        state = State.CLOSING;
      } else {
        state = State.ROUTING;
      }
      inFlight.incrementAndGet();
      if (router.answersAtOnce(req)) {
        // Answered here, on the event loop: a hand-off to a virtual thread and back costs two thread wake-ups
        // (a carrier's and this loop's selector) per request, each a chance to wait for a core on a loaded
        // machine; that hand-off was /allocate's tail at 5,000/s (docs/performance.md "Latency of /allocate").
        respond(ctx, routed(req), head, keepAlive, http10, t0);
        return;
      }
      executor.execute(() -> {
        Router.Response done = routed(req);
        ctx.executor().execute(() -> respond(ctx, done, head, keepAlive, http10, t0));
      });
    }

    private Router.Response routed(Router.Request req) {
      try {
        return router.route(req);
      } catch (RuntimeException e) {
        LOG.log(Level.SEVERE, "router failed", e);
        return Router.error(500, "internal error", Router.endpoint(req.path()));
      } finally {
        inFlight.decrementAndGet();
      }
    }

    private void respond(ChannelHandlerContext ctx, Router.Response r, boolean head, boolean keepAlive, boolean http10, long t0) {
      // No trailers are ever sent (every answer has a Content-Length): the shared empty set instead of a new one
      // per response, about 200 bytes less garbage on each /allocate.
      FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()),
          head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(r.body()), DefaultHttpHeadersFactory.headersFactory().newHeaders(),
          EmptyHttpHeaders.INSTANCE);
      resp.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
      resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
      // Every 503 of the router is temporary (telemetry stale or failing, state dir unwritable): say when to retry.
      if (r.status() == 503) resp.headers().setInt(HttpHeaderNames.RETRY_AFTER, 1);
      if (!keepAlive) resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      else if (http10) resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ctx.writeAndFlush(resp).addListener((ChannelFutureListener) f -> {
        if (!f.isSuccess()) LOG.log(Level.FINE, "response not written", f.cause());
        router.metrics().request(r.endpoint(), r.status(), System.nanoTime() - t0);
        if (!keepAlive) {
          linger(ctx);
          return;
        }
        if (state != State.ROUTING) return;
        request = null;
        state = State.IDLE;
        armIdle(ctx);
        if (!ctx.channel().config().isAutoRead()) ctx.channel().config().setAutoRead(true);
        while (state == State.IDLE || state == State.HEADERS || state == State.BODY) {
          Object next = pipelined.poll();
          if (next == null) break;
          channelRead(ctx, next);
        }
      });
    }

    /** A refusal the server answers by itself, then closes with a lingering close. */
    private void refuse(ChannelHandlerContext ctx, int status, String message, String endpoint, boolean head) {
      cancelTimers();
      state = State.CLOSING;
      ctx.channel().config().setAutoRead(true);
      respond(ctx, Router.error(status, message, endpoint), head, false, false, started);
    }

    /**
     * Half-closes (the client reads the answer, then end of stream) and goes on reading and discarding what the
     * client still sends, so that the kernel never resets the connection over unread data; ends when the client
     * closes, after {@link Limits#lingerBytes} or after {@link Limits#lingerTime}.
     */
    private void linger(ChannelHandlerContext ctx) {
      state = State.CLOSING;
      cancelTimers();
      ctx.channel().config().setAutoRead(true);
      ctx.executor().schedule(() -> { ctx.close(); }, limits.lingerTime().toNanos(), TimeUnit.NANOSECONDS);
      if (ctx.channel() instanceof DuplexChannel d && d.isActive()) d.shutdownOutput();
      else ctx.close();
    }

    private void cancelTimers() {
      cancel(idleTimer);
      cancel(headerTimer);
      cancel(requestTimer);
    }
  }

  private static void cancel(ScheduledFuture<?> f) {
    if (f != null) f.cancel(false);
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  /** The path of a request target: origin form without its query, or the path of an absolute form. */
  static String path(String target) {
    int start = 0;
    if (!target.startsWith("/")) {
      int scheme = target.indexOf("://");
      if (scheme > 0) {
        int slash = target.indexOf('/', scheme + 3);
        if (slash < 0) return "/";
        start = slash;
      }
    }
    int end = target.length();
    int q = target.indexOf('?', start);
    if (q >= 0) end = q;
    int h = target.indexOf('#', start);
    if (h >= 0 && h < end) end = h;
    return target.substring(start, end);
  }

  private static final byte[] EMPTY = new byte[0];
}
