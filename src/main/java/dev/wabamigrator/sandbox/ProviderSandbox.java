package dev.wabamigrator.sandbox;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The local HTTP server of the provider sandbox (design.md §4): one JDK {@link HttpServer} on 127.0.0.1, on which
 * each simulated provider mounts its handlers under its own path ({@code /alibaba}, {@code /alibaba-sandbox} by
 * {@link AlibabaSandbox#mountOn(ProviderSandbox)}; {@code /meta} for the Graph sandbox).
 *
 * <p>Handlers run on a small fixed pool. They may return before answering and complete the exchange later from
 * another thread (the JDK server allows it), which is how latency and held requests cost no thread.
 *
 * <pre>{@code
 * ProviderSandbox sandbox = new ProviderSandbox(0);          // 0 = any free port
 * AlibabaSandbox alibaba = AlibabaSandbox.builder().build().mountOn(sandbox);
 * sandbox.start();
 * String camsEndpoint = alibaba.camsEndpoint();              // http://127.0.0.1:<port>/alibaba
 * MetaSandbox meta = new MetaSandbox();                       // one handler serves both of its contexts
 * sandbox.mount("/meta", meta).mount("/meta-sandbox", meta);
 * }</pre>
 */
public final class ProviderSandbox implements AutoCloseable {

    public static final String HOST = "127.0.0.1";
    public static final int DEFAULT_THREADS = 4;

    static {
        // The JDK server writes a response's headers and body as separate packets; with Nagle's algorithm on, the
        // client's delayed ACK then adds ~40 ms to every response (measured: 48 ms vs 4 ms per call). The property
        // is read once, when the first JDK HttpServer of the JVM is created, so it is set before ours is.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
    }

    private final int requestedPort;
    private final HttpServer server;
    private final ExecutorService executor;
    private final List<AutoCloseable> closeables = Collections.synchronizedList(new ArrayList<>());
    private volatile int port = -1;
    private volatile boolean closed;

    /** @param port the port to listen on, 0 for any free port */
    public ProviderSandbox(int port) {
        this(port, DEFAULT_THREADS);
    }

    /**
     * @param port    the port to listen on, 0 for any free port
     * @param threads handler threads (handlers never block, so a few are enough)
     */
    public ProviderSandbox(int port, int threads) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        this.requestedPort = port;
        try {
            this.server = HttpServer.create();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the sandbox HTTP server", e);
        }
        this.executor = Executors.newFixedThreadPool(Math.max(1, threads), daemonThreads("provider-sandbox-http"));
        server.setExecutor(executor);
    }

    /**
     * Serves {@code handler} for every path under {@code contextPath} (JDK context rules: the longest matching
     * prefix wins, so a handler should reject paths it does not know). Allowed before and after {@link #start()}.
     * A handler that is {@link AutoCloseable} is closed with the sandbox.
     */
    public ProviderSandbox mount(String contextPath, HttpHandler handler) {
        if (contextPath == null || !contextPath.startsWith("/")) {
            throw new IllegalArgumentException("context path must start with '/': " + contextPath);
        }
        server.createContext(contextPath, handler);
        if (handler instanceof AutoCloseable closeable) {
            onClose(closeable);
        }
        return this;
    }

    /**
     * Closes {@code closeable} when the sandbox closes (before the server stops), in reverse order of registration;
     * an instance registered twice (one handler mounted on two paths) is closed once.
     */
    public ProviderSandbox onClose(AutoCloseable closeable) {
        synchronized (closeables) {
            if (closeables.stream().noneMatch(c -> c == closeable)) {
                closeables.add(closeable);
            }
        }
        return this;
    }

    /** Binds 127.0.0.1:port and starts serving; returns this. */
    public synchronized ProviderSandbox start() {
        if (port != -1) {
            return this;
        }
        if (closed) {
            throw new IllegalStateException("sandbox closed");
        }
        try {
            server.bind(new InetSocketAddress(InetAddress.getByName(HOST), requestedPort), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the sandbox to " + HOST + ":" + requestedPort, e);
        }
        server.start();
        port = server.getAddress().getPort();
        return this;
    }

    /** The port served on; only after {@link #start()}. */
    public int port() {
        if (port == -1) {
            throw new IllegalStateException("sandbox not started");
        }
        return port;
    }

    public boolean started() {
        return port != -1 && !closed;
    }

    /** {@code http://127.0.0.1:<port>}, without a trailing slash; only after {@link #start()}. */
    public String baseUrl() {
        return "http://" + HOST + ":" + port();
    }

    /** Closes what was registered, stops the server at once and ends its threads. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<AutoCloseable> toClose;
        synchronized (closeables) {
            toClose = new ArrayList<>(closeables);
        }
        Collections.reverse(toClose);
        for (AutoCloseable c : toClose) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing the rest matters more
            }
        }
        if (port != -1) {
            server.stop(0);
        }
        executor.shutdownNow();
    }

    static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
