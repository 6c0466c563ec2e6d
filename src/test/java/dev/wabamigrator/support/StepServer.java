package dev.wabamigrator.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The fake "provider" of the test flows: {@code POST /<step>/<migrationId>} counts a call and answers with a
 * scripted status (200 unless scripted; a 5xx after the call took effect, as providers do), {@code GET /<step>/<migrationId>} says whether a call arrived (for
 * reconciliation). Answers can be delayed, without blocking a thread, so a crash lands mid-call.
 */
public final class StepServer implements AutoCloseable {
    private final HttpServer server;
    private final ScheduledExecutorService delayer = Executors.newScheduledThreadPool(2);
    /** Calls that took effect, per step and migration. */
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    /** Every request received, whether it took effect or not. */
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final Map<String, Deque<Integer>> scripts = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> pending = new ConcurrentHashMap<>();
    /** Calls received and not answered yet, per step. */
    private final Map<String, AtomicInteger> unanswered = new ConcurrentHashMap<>();
    private volatile Duration latency = Duration.ZERO;

    public StepServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/", this::handle);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public void latency(Duration value) {
        latency = value;
    }

    /** The next calls of this step for this migration answer these statuses, in order. */
    public void script(String step, String migrationId, Integer... statuses) {
        scripts.computeIfAbsent(step + "/" + migrationId, k -> new ConcurrentLinkedDeque<>()).addAll(java.util.List.of(statuses));
    }

    /** A scripted status: the call takes effect, and the answer is a 200 whose body is not JSON (an HTML error page). */
    public static final int GARBLED_200 = 1200;
    /** A scripted status: a 502 from a gateway that never passed the call on, so it takes no effect. */
    public static final int LOST_502 = 1502;

    /** The next reads of this step's effect for this migration answer {@code PENDING} this many times. */
    public void pendingReadBacks(String step, String migrationId, int times) {
        pending.computeIfAbsent(step + "/" + migrationId, k -> new AtomicInteger()).addAndGet(times);
    }

    public int calls(String step, String migrationId) {
        AtomicInteger count = calls.get(step + "/" + migrationId);
        return count == null ? 0 : count.get();
    }

    public int requests(String step, String migrationId) {
        AtomicInteger count = requests.get(step + "/" + migrationId);
        return count == null ? 0 : count.get();
    }

    public Map<String, AtomicInteger> allCalls() {
        return calls;
    }

    /** Calls of this step the server received and has not answered yet (waiting out the latency). */
    public int unanswered(String step) {
        AtomicInteger count = unanswered.get(step);
        return count == null ? 0 : count.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        exchange.getRequestBody().readAllBytes();
        String key = exchange.getRequestURI().getPath().substring(1);
        if ("GET".equals(exchange.getRequestMethod())) {
            AtomicInteger stillPending = pending.get(key);
            if (stillPending != null && stillPending.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                respond(exchange, 200, "{\"status\":\"PENDING\"}");
                return;
            }
            respond(exchange, 200, "{\"done\":" + (calls(key.split("/")[0], key.split("/")[1]) > 0) + "}");
            return;
        }
        requests.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        Deque<Integer> script = scripts.get(key);
        Integer scripted = script == null ? null : script.poll();
        if (scripted != null && scripted == LOST_502) {
            respond(exchange, 502, "{}");
            return;
        }
        calls.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        int status = scripted == null ? 200 : scripted == GARBLED_200 ? 200 : scripted;
        String body = scripted != null && scripted == GARBLED_200 ? "<html>Bad gateway</html>" : "{}";
        Duration delay = latency;
        if (delay.isZero()) {
            respond(exchange, status, body);
        } else {
            AtomicInteger waiting = unanswered.computeIfAbsent(key.split("/")[0], k -> new AtomicInteger());
            waiting.incrementAndGet();
            delayer.schedule(() -> {
                waiting.decrementAndGet();
                respond(exchange, status, body);
            }, delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private static void respond(HttpExchange exchange, int status, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = exchange.getResponseBody()) {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            out.write(bytes);
        } catch (IOException e) {
            // the caller went away (killed mid-call): nothing to answer
        }
    }

    @Override
    public void close() {
        server.stop(0);
        delayer.shutdownNow();
    }
}
