package dev.wabamigrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.wabamigrator.event.OutboxEvent;
import dev.wabamigrator.support.TestDatabase;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The templates reports due (Flyway V12) on both databases: claimed under a lease that a dead instance's claims run
 * out of, and reported once, only by the claim that holds the record, with the event in the same transaction.
 */
class TemplateReportStoreTest {
    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void a_report_is_written_once_by_the_claim_that_holds_it(String kind) throws Exception {
        TestDatabase database = TestDatabase.of(kind);
        try (HikariDataSource dataSource = database.migratedPool()) {
            Sql sql = new Sql(dataSource);
            TemplateReportStore reports = new TemplateReportStore(sql, new Outbox(sql));
            for (String[] due : new String[][] {{"m-1", "space-a"}, {"m-2", "space-a"}, {"m-3", "space-b"}}) {
                sql.update("insert-template-report-due", Map.of("migrationId", due[0], "custSpaceId", due[1],
                        "dueAt", NOW));
            }

            List<TemplateReportStore.Due> first = reports.claim("instance-a", "t-1", NOW.plusSeconds(30), NOW, 10);
            assertThat(first).extracting(TemplateReportStore.Due::custSpaceId)
                    .containsExactlyInAnyOrder("space-a", "space-a", "space-b");
            assertThat(reports.claim("instance-b", "t-2", NOW.plusSeconds(40), NOW.plusSeconds(10), 10))
                    .as("held by a live claim").isEmpty();

            // instance-a dies: its claims run out and instance-b takes them over
            assertThat(reports.claim("instance-b", "t-3", NOW.plusSeconds(61), NOW.plusSeconds(31), 10)).hasSize(3);
            assertThat(reports.report("m-1", "t-1", event("e-late"), NOW.plusSeconds(32)))
                    .as("the dead claim's late report").isFalse();
            assertThat(reports.report("m-1", "t-3", event("e-1"), NOW.plusSeconds(32))).isTrue();
            assertThat(reports.report("m-1", "t-3", event("e-again"), NOW.plusSeconds(33))).as("once").isFalse();
            assertThat(database.strings("SELECT event_id FROM outbox_event")).containsExactly("e-1");

            // the rest, given back, is claimed again
            reports.release("t-3");
            assertThat(reports.claim("instance-c", "t-4", NOW.plusSeconds(70), NOW.plusSeconds(40), 10))
                    .extracting(TemplateReportStore.Due::migrationId).containsExactlyInAnyOrder("m-2", "m-3");
        }
    }

    private static OutboxEvent event(String id) {
        return new OutboxEvent(id, "waba.migration.templates.migrated", "8613900000001", "{}");
    }
}
