package dev.wabamigrator.provider.alibaba;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.wabamigrator.engine.EngineMetrics;
import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.MigrationState;
import dev.wabamigrator.engine.ProviderPauses;
import dev.wabamigrator.engine.SecretBox;
import dev.wabamigrator.event.MigrationEvents;
import dev.wabamigrator.store.MigrationStore;
import dev.wabamigrator.store.Outbox;
import dev.wabamigrator.store.ProviderPauseStore;
import dev.wabamigrator.store.Sql;
import dev.wabamigrator.store.TemplateReportStore;
import dev.wabamigrator.support.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A templates report whose migration cannot be read because the database failed (not because the row is damaged)
 * stays due: it goes out once the database is back, instead of being dropped.
 */
class CamsTemplateReportsPublishTest {
    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void a_report_stays_due_while_the_database_fails_and_goes_out_once_it_is_back(String kind) throws Exception {
        TestDatabase database = TestDatabase.of(kind);
        try (HikariDataSource dataSource = database.migratedPool()) {
            Sql sql = new Sql(dataSource);
            MigrationStore store = new MigrationStore(sql, new SecretBox("test-key"), JSON, CLOCK);
            Migration completed = Migration.of(new Migration.Row("m-1", "ALIBABA_CHATAPP", "86", "13900000001",
                    "8613900000001", null, MigrationState.COMPLETED, "register", 0,
                    JSON.createObjectNode().put("alibaba.custSpaceId", "space-a"), Map.of(), JSON.createObjectNode(),
                    JSON.createObjectNode(), null, null, null, null, null, null, null, null, null, -1), CLOCK);
            store.insert(completed, new MigrationStore.ProcessedCommand("c-1", "StartMigration", "m-1"), List.of(), NOW);
            sql.update("insert-template-report-due", Map.of("migrationId", "m-1", "custSpaceId", "space-a",
                    "dueAt", NOW));
            CamsTemplateReports reports = new CamsTemplateReports(new TemplateReportStore(sql, new Outbox(sql)), store,
                    new MigrationEvents(JSON, "/waba-migrator"), new ProviderPauses(new ProviderPauseStore(sql), CLOCK,
                    Duration.ofSeconds(1), Duration.ofSeconds(60), new EngineMetrics(SimpleMeterRegistry::new)),
                    JSON, CLOCK, "instance-a", Duration.ofSeconds(30), 100);
            List<CamsTemplateReports.Listing> listings = reports.claim();
            assertThat(listings).singleElement().extracting(CamsTemplateReports.Listing::migrationIds)
                    .isEqualTo(List.of("m-1"));

            // the migration cannot be read for the database's sake (here: its table is gone for a moment)
            database.execute("ALTER TABLE migration RENAME TO migration_away");
            assertThatThrownBy(() -> reports.publish(listings.get(0))).isInstanceOf(Sql.SqlFailure.class);
            database.execute("ALTER TABLE migration_away RENAME TO migration");
            assertThat(database.count("SELECT COUNT(*) FROM template_report_due")).as("still due").isEqualTo(1);
            assertThat(database.count("SELECT COUNT(*) FROM outbox_event")).isZero();

            reports.publish(listings.get(0));
            assertThat(database.count("SELECT COUNT(*) FROM template_report_due")).isZero();
            assertThat(database.count(
                    "SELECT COUNT(*) FROM outbox_event WHERE event_type = 'waba.migration.templates.migrated'"))
                    .as("reported once the database is back").isEqualTo(1);
        }
    }
}
