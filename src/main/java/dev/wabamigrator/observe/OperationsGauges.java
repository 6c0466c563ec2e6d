package dev.wabamigrator.observe;

import dev.wabamigrator.store.Sql;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The gauges the alert rules ({@code docs/ops/alerts.yml}) watch beside the counters, refreshed together by the
 * {@code refresh-migration-metrics} timer, never per step: readiness per check, migrations waiting by kind and the
 * oldest wait, the outbox not yet published, migrations due but not claimed, and the intake's consumer lag.
 * Each refresh replaces the values; a part that fails (database or Kafka down) keeps its last values and the
 * readiness gauge, refreshed first, says why.
 */
public final class OperationsGauges {
    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(5);

    private final CamelContext context;
    private final Sql sql;
    private final Admin admin;
    private final String commandsTopic;
    private final String consumerGroup;
    private final Clock clock;
    private final AtomicReference<Snapshot> values = new AtomicReference<>(Snapshot.NONE);
    private volatile MeterRegistry registered;
    private MultiGauge healthChecks;
    private MultiGauge awaiting;
    private MultiGauge awaitingOldest;

    /** The single-valued gauges, read by Micrometer at scrape time. */
    private record Snapshot(double outboxUnpublished, double outboxOldestSeconds, double dueUnclaimed,
                            double dueOldestSeconds, double intakeLag) {
        static final Snapshot NONE = new Snapshot(0, 0, 0, 0, 0);
    }

    public OperationsGauges(CamelContext context, Sql sql, Admin admin, String commandsTopic, String consumerGroup,
                            Clock clock) {
        this.context = context;
        this.sql = sql;
        this.admin = admin;
        this.commandsTopic = commandsTopic;
        this.consumerGroup = consumerGroup;
        this.clock = clock;
    }

    /** Readiness (1 UP, 0 otherwise) per check: first, so that it is fresh when the database is not. */
    public void refreshHealth() {
        MeterRegistry registry = registry();
        if (registry == null) {
            return;
        }
        healthChecks.register(HealthCheckHelper.invokeReadiness(context).stream().map(result -> MultiGauge.Row.of(
                Tags.of("check", result.getCheck().getId()),
                result.getState() == HealthCheck.State.UP ? 1.0 : 0.0)).toList(), true);
    }

    /** Waits, outbox and scheduler backlog, from the database. */
    public void refreshBacklog() {
        MeterRegistry registry = registry();
        if (registry == null) {
            return;
        }
        Instant now = clock.instant();
        record Waiting(String flow, String kind, long migrations, Instant oldest) {
        }
        List<Waiting> waits = sql.query("count-awaiting-migrations", Map.of(), row -> new Waiting(
                row.getString("flow"), String.valueOf(row.getString("awaiting")), row.getLong("migrations"),
                Sql.instant(row, "oldest")));
        awaiting.register(waits.stream().map(w -> MultiGauge.Row.of(Tags.of("flow", w.flow(), "awaiting", w.kind()),
                w.migrations())).toList(), true);
        awaitingOldest.register(waits.stream().map(w -> MultiGauge.Row.of(
                Tags.of("flow", w.flow(), "awaiting", w.kind()), secondsSince(w.oldest(), now))).toList(), true);
        double[] outbox = sql.query("outbox-backlog", Map.of(), row -> new double[] {row.getLong("events"),
                secondsSince(Sql.instant(row, "oldest"), now)}).get(0);
        double[] due = sql.query("scheduler-backlog", Map.of("now", now), row -> new double[] {
                row.getLong("migrations"), secondsSince(Sql.instant(row, "oldest"), now)}).get(0);
        values.updateAndGet(v -> new Snapshot(outbox[0], outbox[1], due[0], due[1], v.intakeLag()));
    }

    /** Commands on the commands topic that the consumer group has not committed yet, over all partitions. */
    public void refreshIntakeLag() throws Exception {
        if (registry() == null) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(consumerGroup)
                .partitionsToOffsetAndMetadata().get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetSpec> latest = admin.describeTopics(List.of(commandsTopic)).allTopicNames()
                .get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(commandsTopic).partitions().stream()
                .collect(Collectors.toMap(p -> new TopicPartition(commandsTopic, p.partition()),
                        p -> OffsetSpec.latest()));
        long lag = admin.listOffsets(latest).all().get(KAFKA_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).entrySet()
                .stream().mapToLong(end -> {
                    OffsetAndMetadata done = committed.get(end.getKey());
                    return Math.max(0, end.getValue().offset() - (done == null ? 0 : done.offset()));
                }).sum();
        values.updateAndGet(v -> new Snapshot(v.outboxUnpublished(), v.outboxOldestSeconds(), v.dueUnclaimed(),
                v.dueOldestSeconds(), lag));
    }

    private static double secondsSince(Instant then, Instant now) {
        return then == null ? 0 : Math.max(0, Duration.between(then, now).toMillis() / 1000.0);
    }

    /** Camel's Prometheus registry once it is bound (null while metrics are off), with the gauges on it. */
    private MeterRegistry registry() {
        if (registered == null) {
            MeterRegistry registry = context.getRegistry().findSingleByType(MeterRegistry.class);
            if (registry != null) {
                register(registry);
                registered = registry;
            }
        }
        return registered;
    }

    private synchronized void register(MeterRegistry registry) {
        if (registered != null) {
            return;
        }
        healthChecks = MultiGauge.builder("waba.health.check.up")
                .description("Readiness per health check: 1 UP, 0 DOWN or unknown").register(registry);
        awaiting = MultiGauge.builder("waba.migrations.awaiting")
                .description("Migrations waiting, by flow and what they wait for").register(registry);
        awaitingOldest = MultiGauge.builder("waba.migrations.awaiting.oldest.seconds")
                .description("Age of the oldest wait's last change, by flow and what it waits for").register(registry);
        Gauge.builder("waba.outbox.unpublished.events", values, v -> v.get().outboxUnpublished())
                .description("Events recorded but not yet published to Kafka").register(registry);
        Gauge.builder("waba.outbox.oldest.unpublished.seconds", values, v -> v.get().outboxOldestSeconds())
                .description("Age of the oldest event not yet published (outbox lag)").register(registry);
        Gauge.builder("waba.scheduler.due.unclaimed", values, v -> v.get().dueUnclaimed())
                .description("Migrations due to run that no instance has claimed (scheduler backlog)").register(registry);
        Gauge.builder("waba.scheduler.oldest.due.seconds", values, v -> v.get().dueOldestSeconds())
                .description("How long the longest-waiting due, unclaimed migration has been due").register(registry);
        Gauge.builder("waba.intake.lag.records", values, v -> v.get().intakeLag())
                .description("Commands on the commands topic not yet committed by the consumer group (intake lag)")
                .register(registry);
    }
}
