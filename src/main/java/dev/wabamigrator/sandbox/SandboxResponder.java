package dev.wabamigrator.sandbox;

import com.sun.net.httpserver.HttpExchange;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Sends a sandbox's answers: at once, after the configured latency (from a scheduler, so no thread sleeps), or held
 * until released (crash tests). The JDK server lets a handler return first and answer later from another thread.
 */
final class SandboxResponder implements AutoCloseable {

    private record Held(HttpExchange exchange, SandboxReply reply, String key) {
    }

    private final ScheduledThreadPoolExecutor scheduler;
    private final Queue<Held> held = new ConcurrentLinkedQueue<>();
    private volatile Duration latency;
    private volatile boolean closed;

    SandboxResponder(String threadName, Duration latency) {
        this.latency = requireNonNegative(latency);
        this.scheduler = new ScheduledThreadPoolExecutor(1, ProviderSandbox.daemonThreads(threadName));
        scheduler.setRemoveOnCancelPolicy(true);
    }

    static Duration requireNonNegative(Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException("latency must be >= 0");
        }
        return d;
    }

    Duration latency() {
        return latency;
    }

    void setLatency(Duration latency) {
        this.latency = requireNonNegative(latency);
    }

    /** Answers after the latency (at once when it is zero). */
    void answerLater(HttpExchange exchange, SandboxReply reply) {
        Duration delay = latency;
        if (delay.isZero() || closed) {
            SandboxHttp.send(exchange, reply);
            return;
        }
        try {
            scheduler.schedule(() -> SandboxHttp.send(exchange, reply), delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            SandboxHttp.send(exchange, reply);
        }
    }

    /** Keeps the answer until {@link #release(String)}; {@code key} names what it is about (a number), may be null. */
    void hold(HttpExchange exchange, SandboxReply reply, String key) {
        held.add(new Held(exchange, reply, key));
        if (closed) {
            release(null);
        }
    }

    /** Sends the held answers about {@code keyOrNull} (all when null), in the order they were held; how many. */
    int release(String keyOrNull) {
        List<Held> keep = new ArrayList<>();
        int released = 0;
        for (Held h; (h = held.poll()) != null; ) {
            if (keyOrNull == null || keyOrNull.equals(h.key())) {
                SandboxHttp.send(h.exchange(), h.reply());
                released++;
            } else {
                keep.add(h);
            }
        }
        held.addAll(keep);
        return released;
    }

    int heldCount() {
        return held.size();
    }

    /** Stops the scheduler; held answers are dropped (their connections closed). */
    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        for (Held h; (h = held.poll()) != null; ) {
            h.exchange().close();
        }
    }
}
