package dev.wabamigrator.progress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.event.MigrationEvents;
import dev.wabamigrator.store.BatchProgressStore;
import dev.wabamigrator.store.Outbox;
import dev.wabamigrator.store.Sql;
import dev.wabamigrator.support.MutableClock;
import dev.wabamigrator.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two instances' batch-progress publishers on one database, driven step by step on a hand-moved clock: the one
 * holding the lease dies between reading the changes and publishing them, and the other, once the lease expired,
 * still publishes the batch's "finished" progress; the dead one, back, can no longer write. Each method call is one
 * step of the route {@code publish-batch-progress}.
 */
class BatchProgressHandoverTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration LEASE = Duration.ofSeconds(10);

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void should_publish_the_finished_progress_a_dead_publisher_had_read_once_its_lease_expired(String kind)
            throws Exception {
        TestDatabase db = TestDatabase.of(kind);
        try (HikariDataSource dataSource = dataSource(db); DefaultCamelContext camel = new DefaultCamelContext()) {
            Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
            MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
            Sql sql = new Sql(dataSource);
            BatchProgressPublisher dead = publisher(sql, clock, "instance-dead");
            BatchProgressPublisher other = publisher(sql, clock, "instance-other");
            writeMigration(db, "m-1", "b-handover", "COMPLETED", clock.instant());
            writeMigration(db, "m-2", "b-handover", "FAILED", clock.instant());
            writeMigration(db, "m-3", null, "COMPLETED", clock.instant());

            // read later than the look-back after the changes: only the stored read mark brings them back
            clock.advance(Duration.ofSeconds(5));
            Exchange deadRun = new DefaultExchange(camel);
            assertThat(dead.changedBatches(deadRun)).containsExactly("b-handover");
            // killed here: nothing published, the read mark not moved

            clock.advance(Duration.ofSeconds(1));
            Exchange early = new DefaultExchange(camel);
            assertThat(other.changedBatches(early)).as("the lease is still the dead one's").isEmpty();
            other.markScanned(early);

            clock.advance(LEASE);
            Exchange takeover = new DefaultExchange(camel);
            List<String> batches = other.changedBatches(takeover);
            assertThat(batches).containsExactly("b-handover");
            publishAll(other, takeover, batches);
            other.markScanned(takeover);

            List<JsonNode> published = outbox(db);
            assertThat(published).hasSize(1);
            JsonNode finished = published.get(0);
            assertThat(MessageSchemas.shared().validateEvent(finished)).isEmpty();
            assertThat(finished.path("subject").asText()).isEqualTo("b-handover");
            assertThat(finished.at("/data/total").asInt()).isEqualTo(2);
            assertThat(finished.at("/data/states/COMPLETED").asInt()).isEqualTo(1);
            assertThat(finished.at("/data/states/FAILED").asInt()).isEqualTo(1);
            assertThat(finished.at("/data/finished").asBoolean()).isTrue();

            // the dead instance comes back and goes on with its old run: its lease is gone, it writes nothing
            deadRun.getMessage().setBody("b-handover");
            assertThatThrownBy(() -> dead.publish(deadRun)).hasMessageContaining("lease lost");
            dead.markScanned(deadRun);
            // and the holder's next runs find nothing new to say
            clock.advance(Duration.ofSeconds(10));
            Exchange next = new DefaultExchange(camel);
            publishAll(other, next, other.changedBatches(next));
            other.markScanned(next);
            assertThat(outbox(db)).hasSize(1);
        }
    }

    private static void publishAll(BatchProgressPublisher publisher, Exchange run, List<String> batches) {
        for (String batchId : batches) {
            run.getMessage().setBody(batchId);
            publisher.publish(run);
        }
    }

    private static BatchProgressPublisher publisher(Sql sql, MutableClock clock, String owner) {
        return new BatchProgressPublisher(new BatchProgressStore(sql), new Outbox(sql),
                new MigrationEvents(JSON, "/waba-migrator"), JSON, clock, owner,
                new BatchProgressPublisher.Timing(LEASE, Duration.ofSeconds(5), Duration.ofSeconds(2)),
                new BatchProgress.Pace(9.5, Duration.ofSeconds(60)));
    }

    private static HikariDataSource dataSource(TestDatabase db) {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(db.url());
        dataSource.setUsername(db.user());
        dataSource.setPassword(db.password());
        dataSource.setMaximumPoolSize(4);
        return dataSource;
    }

    private static void writeMigration(TestDatabase db, String migrationId, String batchId, String state, Instant at)
            throws Exception {
        OffsetDateTime time = OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
        try (Connection connection = db.connect();
             PreparedStatement insert = connection.prepareStatement("""
                     INSERT INTO migration (migration_id, flow, country_code, national_number, phone_e164, batch_id,
                         state, step, attempt, params, result, version, created_at, updated_at, state_changed_at)
                     VALUES (?, 'ALIBABA_CHATAPP', '86', ?, ?, ?, ?, 'register', 1, '{}', '{}', 5, ?, ?, ?)""")) {
            String number = "1390000" + migrationId.substring(2) + "000";
            insert.setString(1, migrationId);
            insert.setString(2, number);
            insert.setString(3, "86" + number);
            insert.setString(4, batchId);
            insert.setString(5, state);
            insert.setObject(6, time);
            insert.setObject(7, time);
            insert.setObject(8, time);
            insert.executeUpdate();
        }
    }

    private static List<JsonNode> outbox(TestDatabase db) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        try (Connection connection = db.connect();
             PreparedStatement select = connection.prepareStatement("SELECT payload FROM outbox_event ORDER BY seq");
             ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                events.add(JSON.readTree(rows.getString("payload")));
            }
        }
        return events;
    }
}
