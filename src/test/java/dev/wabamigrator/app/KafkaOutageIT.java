package dev.wabamigrator.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.wabamigrator.support.ExternalKafkaBroker;
import dev.wabamigrator.support.OutageRun;
import dev.wabamigrator.support.ReadinessProbe;
import dev.wabamigrator.support.ReadinessProbe.Status;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, Kafka outage: the service runs against a broker in a separate JVM; with migrations in flight the broker is
 * killed (SIGKILL), stays down for a minute, and comes back on the same data and port. Every migration must
 * complete, every recorded event must reach the events topic (duplicates only as exact re-publications), no
 * non-idempotent cams call may go out twice, and readiness must go DOWN during the outage and UP after it.
 */
class KafkaOutageIT {
    private static final int MIGRATIONS = 40;
    private static final Duration OUTAGE = Duration.ofSeconds(60);
    private static final Duration CAMS_LATENCY = Duration.ofMillis(150);

    @TempDir
    Path tmp;

    private ExternalKafkaBroker broker;
    private OutageRun run;

    @AfterEach
    void stop() throws Exception {
        try {
            if (run != null) {
                run.close();
            }
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }

    @Test
    void should_complete_every_migration_and_lose_no_event_when_kafka_is_down_for_a_minute() throws Exception {
        broker = new ExternalKafkaBroker(tmp.resolve("kafka"), TestApp.freePort(), TestApp.freePort(),
                Path.of("target", "outage")).start();
        run = new OutageRun(TestDatabase.h2(), Map.of(
                "app.kafka.brokers", broker.bootstrapServers(),
                "app.scheduler.workers", "16"), CAMS_LATENCY);
        ReadinessProbe readiness = run.readiness();
        await("ready before the outage").atMost(Duration.ofSeconds(30)).until(() -> readiness.last() == Status.UP);

        for (int i = 0; i < MIGRATIONS; i++) {
            run.start(i);
        }
        await("a quarter of the migrations completed, the rest in flight").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(50)).until(() -> {
                    run.answerCodes();
                    return run.completed().size() >= MIGRATIONS / 4;
                });
        int completedBeforeOutage = run.completed().size();
        Map<String, Integer> statesAtKill = run.statesInDatabase();

        // ---- the outage: the broker is killed and stays down for a minute --------------------------------------
        broker.kill();
        long killed = System.nanoTime();
        await("readiness DOWN, and the outage lasted " + OUTAGE.toSeconds() + " s")
                .atMost(OUTAGE.plusSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> readiness.first(Status.DOWN, killed) != null
                        && System.nanoTime() - killed >= OUTAGE.toNanos());
        long firstDown = readiness.first(Status.DOWN, killed).nanos();
        Map<String, Integer> statesBeforeRestart = run.statesInDatabase();

        long restarted = System.nanoTime();
        broker.start();
        long brokerUp = System.nanoTime();
        assertThat(readiness.count(Status.UP, firstDown, restarted))
                .as("readiness stayed DOWN (no UP) while the broker was down").isZero();
        await("readiness UP again after the restart").atMost(Duration.ofSeconds(60))
                .until(() -> readiness.first(Status.UP, restarted) != null);
        long upAgain = readiness.first(Status.UP, restarted).nanos();
        await("every migration completed after the restart").atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(100)).until(() -> {
                    run.answerCodes();
                    return run.allCompleted();
                });
        OutageRun.Figures figures = run.verify();

        System.out.printf("KAFKA-OUTAGE N=%d camsLatency=%dms outage=%ds | %s | completed before the kill=%d, rows at the "
                        + "kill=%s, rows when the broker came back=%s | readiness DOWN %d ms after the kill, DOWN for "
                        + "%d ms, UP %d ms after the broker answered | broker restart to all completed=%d ms%n",
                MIGRATIONS, CAMS_LATENCY.toMillis(), OUTAGE.toSeconds(), figures, completedBeforeOutage, statesAtKill,
                statesBeforeRestart, ms(killed, firstDown), ms(firstDown, upAgain), ms(brokerUp, upAgain),
                ms(restarted, run.lastCompletedAt()));
    }

    private static long ms(long from, long to) {
        return Duration.ofNanos(to - from).toMillis();
    }
}
