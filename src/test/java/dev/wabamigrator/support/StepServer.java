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
 * scripted status (200 unless scripted), {@code GET /<step>/<migrationId>} says whether a call arrived (for
 * reconciliation). Answers can be delayed, without blocking a thread, so a crash lands mid-call.
 */
public final class StepServer implements AutoCloseable {
    private final HttpServer server;
    private final ScheduledExecutorService delayer = Executors.newScheduledThreadPool(2);
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Map<String, Deque<Integer>> scripts = new ConcurrentHashMap<>();
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

    public int calls(String step, String migrationId) {
        AtomicInteger count = calls.get(step + "/" + migrationId);
        return count == null ? 0 : count.get();
    }

    public Map<String, AtomicInteger> allCalls() {
        return calls;
    }

    private void handle(HttpExchange exchange) throws IOException {
        exchange.getRequestBody().readAllBytes();
        String key = exchange.getRequestURI().getPath().substring(1);
        if ("GET".equals(exchange.getRequestMethod())) {
            respond(exchange, 200, "{\"done\":" + (calls(key.split("/")[0], key.split("/")[1]) > 0) + "}");
            return;
        }
        calls.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        Deque<Integer> script = scripts.get(key);
        Integer scripted = script == null ? null : script.poll();
        int status = scripted == null ? 200 : scripted;
        Duration delay = latency;
        if (delay.isZero()) {
            respond(exchange, status, "{}");
        } else {
            delayer.schedule(() -> respond(exchange, status, "{}"), delay.toMillis(), TimeUnit.MILLISECONDS);
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
