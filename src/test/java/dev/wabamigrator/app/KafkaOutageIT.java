package dev.wabamigrator.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wabamigrator.support.Closing;
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
        Closing.inOrder(run, broker);
    }

    @Test
    void should_complete_every_migration_and_lose_no_event_when_kafka_is_down_for_a_minute() throws Exception {
        broker = new ExternalKafkaBroker(tmp.resolve("kafka"), TestApp.freePort(), TestApp.freePort(),
                Path.of("target", "outage")).start();
        run = new OutageRun(TestDatabase.h2(), Map.of(
                "app.kafka.brokers", broker.bootstrapServers(),
                "app.scheduler.workers", "16"), CAMS_LATENCY, Duration.ofMillis(200));
        ReadinessProbe readiness = run.readiness();
        run.await("ready before the outage", Duration.ofSeconds(30), Duration.ofMillis(100),
                () -> readiness.last() == Status.UP);

        for (int i = 0; i < MIGRATIONS; i++) {
            run.start(i);
        }
        run.await("a quarter of the migrations completed, the rest in flight", Duration.ofSeconds(60),
                Duration.ofMillis(50), () -> run.completed().size() >= MIGRATIONS / 4);
        int completedBeforeOutage = run.completed().size();
        Map<String, Integer> statesAtKill = run.statesInDatabase();

        // ---- the outage: the broker is killed and stays down for a minute --------------------------------------
        // the customer answers no code while the broker is down (a producer would block): the events asking for
        // one wait on the outbox anyway
        run.answering(false);
        broker.kill();
        long killed = System.nanoTime();
        run.await("readiness DOWN, and the outage lasted " + OUTAGE.toSeconds() + " s", OUTAGE.plusSeconds(30),
                Duration.ofMillis(200), () -> readiness.first(Status.DOWN, killed) != null
                        && System.nanoTime() - killed >= OUTAGE.toNanos());
        long firstDown = readiness.first(Status.DOWN, killed).nanos();
        Map<String, Integer> statesBeforeRestart = run.statesInDatabase();

        long restarted = System.nanoTime();
        broker.start();
        long brokerUp = System.nanoTime();
        run.answering(true);
        assertThat(readiness.count(Status.UP, firstDown, restarted))
                .as("readiness stayed DOWN (no UP) while the broker was down: %s", readiness).isZero();
        run.await("readiness UP again after the restart", Duration.ofSeconds(60), Duration.ofMillis(100),
                () -> readiness.first(Status.UP, restarted) != null);
        long upAgain = readiness.first(Status.UP, restarted).nanos();
        run.await("every migration completed after the restart", Duration.ofSeconds(120), Duration.ofMillis(100),
                run::allCompleted);
        OutageRun.Figures figures = run.verify();

        System.out.printf("KAFKA-OUTAGE N=%d camsLatency=%dms outage=%ds | %s | completed before the kill=%d, rows at the "
                        + "kill=%s, rows when the broker came back=%s | readiness DOWN %d ms after the kill, DOWN for "
                        + "%d ms, UP %d ms after the broker answered | broker start took %d ms, start to all completed=%d ms%n",
                MIGRATIONS, CAMS_LATENCY.toMillis(), OUTAGE.toSeconds(), figures, completedBeforeOutage, statesAtKill,
                statesBeforeRestart, ms(killed, firstDown), ms(firstDown, upAgain), ms(brokerUp, upAgain),
                ms(restarted, brokerUp), ms(restarted, run.lastCompletedAt()));
    }

    private static long ms(long from, long to) {
        return Duration.ofNanos(to - from).toMillis();
    }
}
