package dev.wabamigrator.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wabamigrator.support.Closing;
import dev.wabamigrator.support.OutageRun;
import dev.wabamigrator.support.PostgresCluster;
import dev.wabamigrator.support.ReadinessProbe;
import dev.wabamigrator.support.ReadinessProbe.Status;
import java.time.Duration;
import org.apache.camel.api.management.ManagedCamelContext;
import org.apache.camel.api.management.mbean.ManagedRouteMBean;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 8, database outage: the service runs on a PostgreSQL cluster of its own, restarted with
 * {@code pg_ctlcluster restart} once while commands are arriving (intake) and once while workers are recording step
 * outcomes. Every migration must complete, every recorded event must reach the events topic (duplicates only as
 * exact re-publications), no non-idempotent cams call may go out twice, and readiness must go DOWN during the
 * restart and UP after it.
 */
class PostgresOutageIT {
    private static final int MIGRATIONS = 40;
    /** The database is gone for a few hundred milliseconds of a restart: readiness is asked often enough to see it. */
    private static final Duration PROBE_PERIOD = Duration.ofMillis(20);
    private static final int MAX_RESTARTS = 3;

    private PostgresCluster cluster;
    private OutageRun run;

    @AfterEach
    void stop() throws Exception {
        Closing.inOrder(run, cluster);
    }

    @Test
    void should_take_in_every_command_sent_while_the_database_restarts() throws Exception {
        cluster = PostgresCluster.create();
        run = new OutageRun(cluster.database(), Map.of(), Duration.ofMillis(50), PROBE_PERIOD);
        ReadinessProbe readiness = run.readiness();
        run.await("ready before the restart", Duration.ofSeconds(30), Duration.ofMillis(100),
                () -> readiness.last() == Status.UP);
        for (int i = 0; i < MIGRATIONS / 4; i++) {
            run.start(i);
        }

        // once readiness shows the database gone, the rest of the commands arrive in a burst (3 every 20 ms)
        run.answering(false); // quick polls while the burst goes out; the customer answers afterwards
        long restarted = 0;
        long restartDone = 0;
        int restarts = 0;
        // a restart is over in a few hundred ms; should the 20 ms probe miss its DOWN, the cluster restarts again
        while (restarts < MAX_RESTARTS && (restarts == 0 || readiness.first(Status.DOWN, restarted) == null)) {
            restarts++;
            long begun = System.nanoTime();
            restarted = begun;
            Process restart = cluster.restartInBackground();
            run.await("the restart done while commands kept arriving", Duration.ofSeconds(60), Duration.ofMillis(20), () -> {
                if (readiness.first(Status.DOWN, begun) != null) {
                    for (int k = 0; k < 3 && run.started() < MIGRATIONS; k++) {
                        run.start(run.started());
                    }
                }
                return !restart.isAlive();
            });
            restartDone = System.nanoTime();
            assertThat(restart.exitValue()).as("pg_ctlcluster restart").isZero();
        }
        int sentDuringRestart = run.started() - MIGRATIONS / 4;
        while (run.started() < MIGRATIONS) {
            run.start(run.started());
        }
        run.answering(true);
        ManagedRouteMBean intake = run.app().context().getCamelContextExtension()
                .getContextPlugin(ManagedCamelContext.class).getManagedRoute("intake-migration-commands");

        finish("intake", restarted, restartDone, "commands sent during the restart=" + sentDuringRestart
                + ", restarts=" + restarts);
        // a restart this short is usually absorbed by the pool: intake waits for a new connection instead of failing
        System.out.printf("POSTGRES-OUTAGE [intake] intake route: %d redeliveries, %d exchanges failed (record polled "
                + "again), %d completed%n", intake.getRedeliveries(), intake.getExchangesFailed(),
                intake.getExchangesCompleted());
    }

    @Test
    void should_complete_every_migration_when_the_database_restarts_while_steps_are_recorded() throws Exception {
        cluster = PostgresCluster.create();
        run = new OutageRun(cluster.database(), Map.of("app.scheduler.workers", "16"), Duration.ofMillis(200),
                PROBE_PERIOD);
        ReadinessProbe readiness = run.readiness();
        run.await("ready before the restart", Duration.ofSeconds(30), Duration.ofMillis(100),
                () -> readiness.last() == Status.UP);
        for (int i = 0; i < MIGRATIONS; i++) {
            run.start(i);
        }
        run.await("a quarter of the migrations completed, the rest in flight", Duration.ofSeconds(60),
                Duration.ofMillis(50), () -> run.completed().size() >= MIGRATIONS / 4);
        Map<String, Integer> rowsAtRestart = run.statesInDatabase();

        long restarted = 0;
        int restarts = 0;
        // a restart is over in a few hundred ms; should the 20 ms probe miss its DOWN, the cluster restarts again
        while (restarts < MAX_RESTARTS && (restarts == 0 || readiness.first(Status.DOWN, restarted) == null)) {
            restarts++;
            restarted = System.nanoTime();
            cluster.restart();
        }
        long restartDone = System.nanoTime();

        finish("step-recording", restarted, restartDone, "rows at the restart=" + rowsAtRestart
                + ", restarts=" + restarts);
    }

    /** Waits for readiness DOWN then UP and for every migration, checks the run, prints one summary line. */
    private void finish(String name, long restarted, long restartDone, String detail) throws Exception {
        ReadinessProbe readiness = run.readiness();
        run.await("readiness DOWN during the restart", Duration.ofSeconds(30), Duration.ofMillis(100),
                () -> readiness.first(Status.DOWN, restarted) != null);
        long firstDown = readiness.first(Status.DOWN, restarted).nanos();
        run.await("readiness UP after the restart", Duration.ofSeconds(60), Duration.ofMillis(100),
                () -> readiness.first(Status.UP, firstDown) != null);
        long upAgain = readiness.first(Status.UP, firstDown).nanos();
        run.await("every migration completed after the restart", Duration.ofSeconds(120), Duration.ofMillis(100),
                run::allCompleted);
        OutageRun.Figures figures = run.verify();
        System.out.printf("POSTGRES-OUTAGE [%s] N=%d %s | %s | %s | pg_ctlcluster restart took %d ms | readiness DOWN "
                        + "%d ms after the restart began, DOWN for %d ms (no answer within 3 s: %d probes) | restart "
                        + "to all completed=%d ms%n",
                name, MIGRATIONS, cluster.describe(), figures, detail, ms(restarted, restartDone),
                ms(restarted, firstDown), ms(firstDown, upAgain),
                readiness.count(Status.NO_ANSWER, restarted, upAgain), ms(restarted, run.lastCompletedAt()));
    }

    private static long ms(long from, long to) {
        return Duration.ofNanos(to - from).toMillis();
    }
}
