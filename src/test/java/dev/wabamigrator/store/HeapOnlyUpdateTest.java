package dev.wabamigrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariDataSource;
import dev.wabamigrator.engine.Awaiting;
import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.MigrationState;
import dev.wabamigrator.engine.SecretBox;
import dev.wabamigrator.support.TestDatabase;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A migration's routine writes (its claim, a step that begins a call or succeeds and goes on, the claim given back)
 * change no indexed column, so PostgreSQL updates the row in place instead of adding an entry to each of the
 * table's indexes; a change of state still reaches them. Counted with PostgreSQL's own per-transaction counters.
 */
class HeapOnlyUpdateTest {
    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void routine_writes_leave_every_index_of_the_migration_table_alone() throws Exception {
        try (HikariDataSource dataSource = TestDatabase.postgres().migratedPool()) {
            Sql sql = new Sql(dataSource);
            MigrationStore store = new MigrationStore(sql, new SecretBox("test-key"), json, CLOCK);
            Migration started = Migration.of(newRow(), CLOCK);
            assertThat(store.insert(started, new MigrationStore.ProcessedCommand("c-1", "StartMigration", "m-1"),
                    List.of(), NOW)).isEmpty();

            long[] routine = sql.inOneTransaction(() -> {
                long[] before = updates(sql);
                Migration claimed = (Migration) store.claimDue("me", "t-1", NOW.plusSeconds(30), NOW, 10).get(0);
                Migration.Row c = claimed.row();
                // a call begins: the step moved on and a call is pending, due as before, under the same claim
                Migration.Row calling = new Migration.Row(c.migrationId(), c.flow(), c.countryCode(), c.nationalNumber(),
                        c.phoneE164(), c.batchId(), c.state(), "request-code", 0, c.params(), c.secrets(), c.control(),
                        object("{\"phoneNumberId\":\"p-1\"}"), null, null, null, null, "request-code",
                        c.nextAttemptAt(), c.claimOwner(), c.claimToken(), c.claimedUntil(), c.version());
                assertThat(store.save(Migration.of(calling, CLOCK), List.of(), NOW.plusSeconds(1))).isTrue();
                store.releaseClaim("m-1", "t-1");
                return since(before, updates(sql));
            });
            assertThat(routine).as("updates, heap-only updates").containsExactly(3, 3);

            long[] stateChange = sql.inOneTransaction(() -> {
                long[] before = updates(sql);
                Migration read = store.find("m-1").orElseThrow();
                Migration.Row r = read.row();
                Migration.Row awaiting = new Migration.Row(r.migrationId(), r.flow(), r.countryCode(),
                        r.nationalNumber(), r.phoneE164(), r.batchId(), MigrationState.AWAITING_INPUT, "await-code", 0,
                        r.params(), r.secrets(), r.control(), r.result(), Awaiting.VERIFICATION_CODE, "code sent",
                        NOW.plusSeconds(600), null, null, NOW.plusSeconds(600), null, null, null, r.version());
                assertThat(store.save(Migration.of(awaiting, CLOCK), List.of(), NOW.plusSeconds(2))).isTrue();
                return since(before, updates(sql));
            });
            assertThat(stateChange).as("a change of state reaches the indexes").containsExactly(1, 0);
        }
    }

    private static long[] since(long[] before, long[] after) {
        return new long[] {after[0] - before[0], after[1] - before[1]};
    }

    /**
     * Updates of the migration table this connection made and has not reported yet, and how many of them were
     * heap-only: nothing is reported during a transaction, so the difference within one is that transaction's.
     */
    private static long[] updates(Sql sql) {
        return sql.inTransaction(connection -> {
            try (var statement = connection.createStatement();
                 var rows = statement.executeQuery("SELECT pg_stat_get_xact_tuples_updated('migration'::regclass), "
                         + "pg_stat_get_xact_tuples_hot_updated('migration'::regclass)")) {
                rows.next();
                return new long[] {rows.getLong(1), rows.getLong(2)};
            }
        });
    }

    private Migration.Row newRow() {
        return new Migration.Row("m-1", "ALIBABA_CHATAPP", "86", "13800000001", "8613800000001", null,
                MigrationState.RUNNING, "initiate", 0, object("{\"alibaba\":{\"custSpaceId\":\"cs-1\"}}"), Map.of(),
                object("{}"), object("{}"), null, null, null, null, null, null, null, null, null, -1);
    }

    private ObjectNode object(String text) {
        try {
            return (ObjectNode) json.readTree(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
