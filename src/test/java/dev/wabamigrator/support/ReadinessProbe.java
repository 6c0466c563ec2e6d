package dev.wabamigrator.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What an orchestrator's readiness probe sees: {@code /observe/health/ready} on the management port, asked every
 * {@code period} with a short timeout, kept as a timeline. A probe that gets no answer in time counts as not ready,
 * as it would for Kubernetes.
 */
public final class ReadinessProbe implements AutoCloseable {
    public enum Status { UP, DOWN, NO_ANSWER }

    public record Sample(long nanos, Status status) {
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final URI uri;
    private final Duration timeout;
    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "readiness-probe");
        t.setDaemon(true);
        return t;
    });

    public ReadinessProbe(int managementPort, Duration period, Duration timeout) {
        this.uri = URI.create("http://localhost:" + managementPort + "/observe/health/ready");
        this.timeout = timeout;
        timer.scheduleWithFixedDelay(() -> {
            Status status = ask();
            // stamped when answered: a probe sent just before an outage began may already see it
            samples.add(new Sample(System.nanoTime(), status));
        }, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    private Status ask() {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(timeout).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? Status.UP : Status.DOWN;
        } catch (java.io.IOException e) {
            return Status.NO_ANSWER;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Status.NO_ANSWER;
        }
    }

    /** The latest answer, or null before the first. */
    public Status last() {
        return samples.isEmpty() ? null : samples.get(samples.size() - 1).status();
    }

    /** First sample at or after {@code fromNanos} with this status, or null. */
    public Sample first(Status status, long fromNanos) {
        return samples.stream().filter(s -> s.nanos() >= fromNanos && s.status() == status).findFirst().orElse(null);
    }

    /** Samples of this status between the two instants. */
    public long count(Status status, long fromNanos, long toNanos) {
        return samples.stream().filter(s -> s.nanos() >= fromNanos && s.nanos() < toNanos && s.status() == status)
                .count();
    }

    /** The timeline as runs of one status, for failure messages: "UP x12 (1200 ms), DOWN x3 (...)". */
    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        Sample start = null;
        int n = 0;
        Sample previous = null;
        for (Sample s : samples) {
            if (start != null && s.status() != start.status()) {
                out.append(start.status()).append(" x").append(n).append(" (")
                        .append((previous.nanos() - start.nanos()) / 1_000_000).append(" ms), ");
                start = null;
            }
            if (start == null) {
                start = s;
                n = 0;
            }
            n++;
            previous = s;
        }
        if (start != null) {
            out.append(start.status()).append(" x").append(n);
        }
        return "readiness " + out;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
