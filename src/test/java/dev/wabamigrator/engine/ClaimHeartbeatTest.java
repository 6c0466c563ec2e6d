package dev.wabamigrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.support.MutableClock;
import dev.wabamigrator.store.MigrationStore;
import dev.wabamigrator.store.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/** A claim held longer than one lease (a migration waiting for a rate slot) stays this worker's across its steps. */
class ClaimHeartbeatTest {

    @Test
    void aStepRecordedAfterHeartbeatsKeepsTheExtendedLease() throws Exception {
        JdbcDataSource dataSource = new JdbcDataSource();
        dataSource.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        ObjectMapper json = new ObjectMapper();
        Sql sql = new Sql(dataSource);
        MigrationStore store = new MigrationStore(sql, new SecretBox("test-key"), json, clock);
        Duration lease = Duration.ofSeconds(30);
        FlowRegistry flows = FlowRegistry.of(new FlowDefinition("TEST_STEPS", java.util.List.of("one", "two", "three"),
                java.util.Map.of()));
        MigrationScheduler scheduler = new MigrationScheduler(store,
                new dev.wabamigrator.event.MigrationEvents(json, "/test"), flows, clock, 10, 10, lease);

        Migration m = Migration.start("m-lease", "TEST_STEPS", "one", "1", "6505550100", null, json.createObjectNode(),
                java.util.Map.of(), json.createObjectNode(), clock);
        assertThat(store.insert(m, new MigrationStore.ProcessedCommand("c-lease", "StartMigration", "m-lease"),
                List.of(), clock.instant())).isEmpty();

        List<Migration> claimed = scheduler.claimDue();
        assertThat(claimed).hasSize(1);
        Migration held = claimed.get(0);
        // the worker holds it for two leases, heartbeats renewing the claim meanwhile, then records a step
        for (int i = 0; i < 6; i++) {
            clock.advance(Duration.ofSeconds(10));
            scheduler.extendClaims();
        }
        held.moveTo("two", clock.instant());
        boolean written = store.save(held, List.of(), clock.instant());
        assertThat(written).isTrue();

        assertThat(claimedUntil("m-lease", dataSource)).isEqualTo(clock.instant().plus(lease));
        assertThat(scheduler.claimDue()).as("nobody else may claim it while its worker runs").isEmpty();
    }

    private static Instant claimedUntil(String id, JdbcDataSource dataSource) throws Exception {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT claimed_until FROM migration WHERE migration_id = ?")) {
            s.setString(1, id);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                return Sql.instant(rows, "claimed_until");
            }
        }
    }
}
