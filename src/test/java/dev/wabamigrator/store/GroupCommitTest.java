package dev.wabamigrator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariDataSource;
import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.MigrationState;
import dev.wabamigrator.engine.SecretBox;
import dev.wabamigrator.event.OutboxEvent;
import dev.wabamigrator.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Writes handed in while another group is written go together in one commit, on both databases; each caller returns
 * once its own write is committed, with its own result; a write the database refuses fails alone.
 */
class GroupCommitTest {
    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private final ExecutorService callers = Executors.newFixedThreadPool(8);
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile boolean firstInside;

    @AfterEach
    void stop() throws InterruptedException {
        release.countDown();
        callers.shutdownNow();
        callers.awaitTermination(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void writes_handed_in_during_a_group_commit_together_and_each_caller_gets_its_own_result(String kind)
            throws Exception {
        TestDatabase database = TestDatabase.of(kind);
        try (HikariDataSource dataSource = database.migratedPool()) {
            GroupCommit group = new GroupCommit(new Sql(dataSource), 64);
            Future<String> first = holdTheWriter(group, "c-0");
            List<Future<String>> followers = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                String commandId = "c-" + i;
                followers.add(callers.submit(() -> {
                    String written = group.write(commandId, (c, atEnd) -> insert(c, commandId, "StartMigration"));
                    // on return the write is committed: another connection sees it
                    assertThat(database.count("SELECT COUNT(*) FROM processed_command WHERE command_id = '"
                            + commandId + "'")).isEqualTo(1);
                    return written;
                }));
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> group.waiting() == 5);
            assertThat(database.count("SELECT COUNT(*) FROM processed_command")).isZero();

            release.countDown();

            assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("c-0");
            for (int i = 1; i <= 5; i++) {
                assertThat(followers.get(i - 1).get(10, TimeUnit.SECONDS)).isEqualTo("c-" + i);
            }
            assertThat(group.writes()).isEqualTo(6);
            assertThat(group.commits()).as("the first write alone, then the five that waited for it").isEqualTo(2);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void a_write_the_database_refuses_fails_alone_and_the_rest_of_its_group_commits(String kind) throws Exception {
        TestDatabase database = TestDatabase.of(kind);
        try (HikariDataSource dataSource = database.migratedPool()) {
            GroupCommit group = new GroupCommit(new Sql(dataSource), 64);
            Future<String> first = holdTheWriter(group, "c-0");
            Future<String> before = callers.submit(() -> group.write("c-1", (c, atEnd) -> insert(c, "c-1", "StartMigration")));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> group.waiting() == 1);
            Future<String> refused = callers.submit(() -> group.write("c-2", (c, atEnd) -> insert(c, "c-2", "T".repeat(41))));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> group.waiting() == 2);
            Future<String> after = callers.submit(() -> group.write("c-3", (c, atEnd) -> insert(c, "c-3", "StartMigration")));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> group.waiting() == 3);

            release.countDown();

            assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("c-0");
            assertThat(before.get(10, TimeUnit.SECONDS)).isEqualTo("c-1");
            assertThat(after.get(10, TimeUnit.SECONDS)).isEqualTo("c-3");
            assertThatThrownBy(() -> refused.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(Sql.RefusedValue.class);
            assertThat(database.count("SELECT COUNT(*) FROM processed_command")).isEqualTo(3);
            assertThat(database.count("SELECT COUNT(*) FROM processed_command WHERE command_id = 'c-2'")).isZero();
        }
    }

    /**
     * The database cannot be reached: every write of the group fails with the database's failure, and the group asks
     * for a connection twice (the group, then its first write alone), not once per write, so the writes behind it are
     * not held up by each waiting out its own connection timeout.
     */
    @Test
    void when_the_database_is_gone_a_group_fails_at_once() throws Exception {
        TestDatabase database = TestDatabase.h2();
        try (HikariDataSource migrated = database.migratedPool(); UnreachablePool pool = new UnreachablePool(database)) {
            GroupCommit group = new GroupCommit(new Sql(pool), 64);
            Future<String> first = holdTheWriter(group, "c-0");
            List<Future<String>> followers = new ArrayList<>();
            for (int i = 1; i <= 4; i++) {
                String commandId = "c-" + i;
                followers.add(callers.submit(() -> group.write(commandId, (c, atEnd) -> insert(c, commandId, "StartMigration"))));
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> group.waiting() == 4);
            pool.down = true;

            release.countDown();

            assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("c-0");
            for (Future<String> follower : followers) {
                assertThatThrownBy(() -> follower.get(10, TimeUnit.SECONDS)).cause()
                        .isInstanceOf(Sql.SqlFailure.class).isNotInstanceOf(Sql.RefusedValue.class);
            }
            assertThat(pool.refused.get()).isEqualTo(2);
        }
    }

    /** A real pool on the test database that, once {@link #down}, answers every request as a timed-out pool does. */
    private static final class UnreachablePool extends HikariDataSource {
        volatile boolean down;
        final AtomicInteger refused = new AtomicInteger();

        UnreachablePool(TestDatabase database) {
            setJdbcUrl(database.url());
            setUsername(database.user());
            setPassword(database.password());
            setMaximumPoolSize(4);
        }

        @Override
        public Connection getConnection() throws SQLException {
            if (down) {
                refused.incrementAndGet();
                throw new SQLTransientConnectionException("test pool - Connection is not available, request timed out");
            }
            return super.getConnection();
        }
    }

    /**
     * The store's step writes: a migration whose save shared a group with a refused one is still written, and the
     * refused migration's copy stays at the row's version, so it can be written once its values are sound.
     */
    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void a_save_whose_group_failed_is_written_alone_and_the_refused_copy_stays_writable(String kind) throws Exception {
        TestDatabase database = TestDatabase.of(kind);
        try (HikariDataSource dataSource = database.migratedPool()) {
            ObjectMapper json = new ObjectMapper();
            MigrationStore store = new MigrationStore(new Sql(dataSource), new SecretBox("test-key"), json, CLOCK);
            Migration sound = inserted(store, json, "m-sound", "4915100000001");
            Migration refused = inserted(store, json, "m-refused", "4915100000002");
            Future<String> first = holdTheWriter(store.stepWrites(), "c-0");
            Future<Boolean> soundSaved = callers.submit(() -> store.save(sound,
                    List.of(new OutboxEvent("e-sound", "waba.migration.step.succeeded", "k", "{}")), NOW));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.stepWrites().waiting() == 1);
            // event_type holds 60 characters: the database refuses this event, so the whole group is rolled back
            Future<Boolean> refusedSaved = callers.submit(() -> store.save(refused,
                    List.of(new OutboxEvent("e-refused", "t".repeat(61), "k", "{}")), NOW));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.stepWrites().waiting() == 2);

            release.countDown();

            first.get(10, TimeUnit.SECONDS);
            assertThat(soundSaved.get(10, TimeUnit.SECONDS)).isTrue();
            assertThat(sound.getVersion()).isEqualTo(1);
            assertThat(database.count("SELECT COUNT(*) FROM migration WHERE migration_id = 'm-sound' AND version = 1"))
                    .isEqualTo(1);
            assertThat(database.count("SELECT COUNT(*) FROM outbox_event WHERE event_id = 'e-sound'")).isEqualTo(1);
            assertThatThrownBy(() -> refusedSaved.get(10, TimeUnit.SECONDS)).cause().isInstanceOf(Sql.RefusedValue.class);
            assertThat(refused.getVersion()).isZero();
            assertThat(database.count("SELECT COUNT(*) FROM migration WHERE migration_id = 'm-refused' AND version = 0"))
                    .isEqualTo(1);

            assertThat(store.save(refused, List.of(new OutboxEvent("e-refused", "waba.migration.step.succeeded", "k",
                    "{}")), NOW)).isTrue();
            assertThat(refused.getVersion()).isEqualTo(1);
        }
    }

    /**
     * The claim heartbeat locks several migration rows in one transaction, in the order of their ids. A group holding
     * the same rows must take them in that order too: handed in as m-b then m-a, it waits for m-a (held by the
     * heartbeat) before it locks m-b, so the heartbeat goes on to m-b and commits, and the group then commits whole.
     * In the order the writes came, the group would hold m-b while it waits for m-a: a deadlock, which aborts one of
     * the two (on PostgreSQL the one that waited first, the group, which then wrote each save alone).
     */
    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void a_group_takes_its_rows_in_the_order_the_heartbeat_does_so_neither_deadlocks(String kind) throws Exception {
        TestDatabase database = TestDatabase.of(kind);
        try (HikariDataSource dataSource = database.migratedPool(); Connection heartbeat = database.connect()) {
            ObjectMapper json = new ObjectMapper();
            MigrationStore store = new MigrationStore(new Sql(dataSource), new SecretBox("test-key"), json, CLOCK);
            Migration a = inserted(store, json, "m-a", "4915100000001");
            Migration b = inserted(store, json, "m-b", "4915100000002");
            heartbeat.setAutoCommit(false);
            assertThat(extendClaim(heartbeat, "m-a")).isEqualTo(1);

            Future<String> first = holdTheWriter(store.stepWrites(), "c-0");
            Future<Boolean> bSaved = callers.submit(() -> store.save(b, List.of(), NOW));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.stepWrites().waiting() == 1);
            Future<Boolean> aSaved = callers.submit(() -> store.save(a, List.of(), NOW));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.stepWrites().waiting() == 2);
            release.countDown();
            first.get(10, TimeUnit.SECONDS);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> waitingForALock(database) == 1);
            long commitsBefore = store.stepWrites().commits(); // the held write's; the group waits for the heartbeat

            assertThat(extendClaim(heartbeat, "m-b")).isEqualTo(1);
            heartbeat.commit();

            assertThat(aSaved.get(10, TimeUnit.SECONDS)).isTrue();
            assertThat(bSaved.get(10, TimeUnit.SECONDS)).isTrue();
            assertThat(store.stepWrites().commits() - commitsBefore).as("commits of the group of m-b and m-a")
                    .isEqualTo(1);
            assertThat(database.count("SELECT COUNT(*) FROM migration WHERE version = 1")).isEqualTo(2);
        }
    }

    private static int extendClaim(Connection connection, String migrationId) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE migration SET claimed_until = CURRENT_TIMESTAMP WHERE migration_id = ?")) {
            update.setString(1, migrationId);
            return update.executeUpdate();
        }
    }

    /** Sessions waiting for a row lock another session holds. */
    private static int waitingForALock(TestDatabase database) throws SQLException {
        return database.count("postgresql".equals(database.kind())
                ? "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                : "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS WHERE BLOCKER_ID IS NOT NULL");
    }

    /** A write that holds the writer's place until {@link #release}, so that the writes after it wait as a group. */
    private Future<String> holdTheWriter(GroupCommit group, String commandId) {
        Future<String> first = callers.submit((Callable<String>) () -> group.write(commandId, (c, atEnd) -> {
            String written = insert(c, commandId, "StartMigration");
            firstInside = true;
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return written;
        }));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> firstInside);
        return first;
    }

    private static String insert(Connection connection, String commandId, String type) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO processed_command (command_id,"
                + " command_type, migration_id, outcome, processed_at) VALUES (?, ?, 'm-1', 'APPLIED', CURRENT_TIMESTAMP)")) {
            insert.setString(1, commandId);
            insert.setString(2, type);
            insert.executeUpdate();
        }
        return commandId;
    }

    private static Migration inserted(MigrationStore store, ObjectMapper json, String id, String phone) throws Exception {
        Migration m = Migration.of(new Migration.Row(id, "META_CLASSIC", "49", phone.substring(2), phone, null,
                MigrationState.RUNNING, "check-number", 0, (ObjectNode) json.readTree("{}"), Map.of(),
                json.createObjectNode(), json.createObjectNode(), null, null, null, null, null, null, null, null, null,
                -1), CLOCK);
        store.insert(m, new MigrationStore.ProcessedCommand("c-" + id, "StartMigration", id), List.of(), NOW);
        return m;
    }
}
