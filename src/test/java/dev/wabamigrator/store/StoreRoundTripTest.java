package dev.wabamigrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariDataSource;
import dev.wabamigrator.engine.Awaiting;
import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.MigrationState;
import dev.wabamigrator.engine.ProviderPauses;
import dev.wabamigrator.engine.SecretBox;
import dev.wabamigrator.event.OutboxEvent;
import dev.wabamigrator.support.TestDatabase;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the store writes it reads back, field for field, on both databases; and the outbox keeps its lease. */
class StoreRoundTripTest {
    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00.123Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private final ObjectMapper json = new ObjectMapper();

    private ObjectNode object(String text) throws Exception {
        return (ObjectNode) json.readTree(text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void every_persisted_field_comes_back_as_written(String kind) throws Exception {
        try (HikariDataSource dataSource = TestDatabase.of(kind).migratedPool()) {
            Sql sql = new Sql(dataSource);
            MigrationStore store = new MigrationStore(sql, new SecretBox("test-key"), json, CLOCK);
            Migration started = Migration.of(new Migration.Row("m-1", "META_CLASSIC", "49", "15112345678",
                    "4915112345678", "batch-2026.11", MigrationState.RUNNING, "check-number", 0, object("{\"meta\":{\"wabaId\":\"w\"}}"),
                    Map.of(), object("{}"), object("{}"), null, null, null, null, null, null, null, null, null, -1), CLOCK);
            assertThat(store.insert(started, new MigrationStore.ProcessedCommand("c-1", "StartMigration", "m-1"),
                    List.of(), NOW)).isEmpty();
            assertThat(started.getVersion()).isZero();
            assertThat(store.find("m-1").orElseThrow().row()).isEqualTo(started.row());

            Migration.Row changed = new Migration.Row("m-1", "META_CLASSIC", "49", "15112345678", "4915112345678",
                    "batch-2026.11", MigrationState.AWAITING_INPUT, "await-code", 2, started.row().params(), Map.of("pin", "123456"),
                    object("{\"wrongCodes\":2,\"codeRequestInDoubt\":true}"), object("{\"phoneNumberId\":\"p-9\"}"), Awaiting.VERIFICATION_CODE, "code sent by SMS",
                    NOW.plusSeconds(600), "{\"code\":\"x\"}", "request-code", NOW.plusSeconds(5), "instance-a",
                    "token-1", NOW.plusSeconds(30), 0);
            Migration read = Migration.of(changed, CLOCK);
            boolean written = store.save(read, List.of(), NOW);
            assertThat(written).isTrue();
            assertThat(read.getVersion()).isEqualTo(1);
            Migration.Row expected = new Migration.Row(changed.migrationId(), changed.flow(), changed.countryCode(),
                    changed.nationalNumber(), changed.phoneE164(), changed.batchId(), changed.state(), changed.step(), changed.attempt(),
                    changed.params(), changed.secrets(), changed.control(), changed.result(), changed.awaiting(),
                    changed.awaitingReason(), changed.expiresAt(), changed.lastError(), changed.pendingCall(),
                    changed.nextAttemptAt(), changed.claimOwner(), changed.claimToken(), changed.claimedUntil(), 1);
            assertThat(store.find("m-1").orElseThrow().row()).isEqualTo(expected);

            Migration stale = Migration.of(changed, CLOCK); // still at version 0
            boolean staleWritten = store.save(stale, List.of(), NOW);
            assertThat(staleWritten).isFalse();
            assertThat(stale.getVersion()).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void secrets_are_sealed_again_only_when_they_change_or_the_key_rotated(String kind) throws Exception {
        try (HikariDataSource dataSource = TestDatabase.of(kind).migratedPool()) {
            Sql sql = new Sql(dataSource);
            SecretBox oldBox = new SecretBox("old-key");
            MigrationStore store = new MigrationStore(sql, oldBox, json, CLOCK);
            Migration started = Migration.of(new Migration.Row("m-seal", "META_CLASSIC", "49", "15112345678",
                    "4915112345678", null, MigrationState.RUNNING, "register", 0, object("{}"),
                    Map.of("pin", "123456", "token", "t-1"), object("{}"), object("{}"), null, null, null, null, null,
                    null, null, null, null, -1), CLOCK);
            store.insert(started, new MigrationStore.ProcessedCommand("c-seal", "StartMigration", "m-seal"), List.of(), NOW);
            String sealed = columns(dataSource, "m-seal")[1];

            // a step that leaves the secrets alone keeps the sealed value (a new seal has a new IV, so it would differ)
            Migration read = store.find("m-seal").orElseThrow();
            read.setCounter("wrongCodes", 1);
            assertThat(store.save(read, List.of(), NOW)).isTrue();
            read.setCounter("wrongCodes", 2);
            assertThat(store.save(read, List.of(), NOW)).isTrue();
            assertThat(columns(dataSource, "m-seal")[1]).isEqualTo(sealed);

            // changed secrets are sealed again
            read.forgetSecret("token");
            assertThat(store.save(read, List.of(), NOW)).isTrue();
            String resealed = columns(dataSource, "m-seal")[1];
            assertThat(resealed).isNotEqualTo(sealed);
            assertThat(json.readTree(oldBox.decrypt(resealed, "m-seal"))).isEqualTo(json.readTree("{\"pin\":\"123456\"}"));

            // after a key rotation, the next write moves the row to the current key although the secrets did not change
            SecretBox newBox = new SecretBox("new-key", List.of("old-key"));
            MigrationStore rotated = new MigrationStore(sql, newBox, json, CLOCK);
            Migration again = rotated.find("m-seal").orElseThrow();
            again.setCounter("wrongCodes", 3);
            assertThat(rotated.save(again, List.of(), NOW)).isTrue();
            String moved = columns(dataSource, "m-seal")[1];
            assertThat(moved).startsWith("v2:" + newBox.currentKeyId() + ":");
            assertThat(json.readTree(new SecretBox("new-key").decrypt(moved, "m-seal")))
                    .isEqualTo(json.readTree("{\"pin\":\"123456\"}"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void control_values_kept_with_the_secrets_by_older_rows_move_to_the_control_column(String kind) throws Exception {
        try (HikariDataSource dataSource = TestDatabase.of(kind).migratedPool()) {
            Sql sql = new Sql(dataSource);
            SecretBox box = new SecretBox("test-key");
            MigrationStore store = new MigrationStore(sql, box, json, CLOCK);
            // a row as older versions wrote it: counters and flags sealed with the PIN, no control column value
            Map<String, String> olderSecrets = Map.of("pin", "123456", "wrongCodes", "2", "codeRequestInDoubt", "true",
                    "tokenRefetchedFor", "register", "sendsInDoubt:register", "1 131000 Axyz");
            Migration older = Migration.of(new Migration.Row("m-old", "META_CLASSIC", "49", "15112345678",
                    "4915112345678", null, MigrationState.RUNNING, "register", 0, object("{}"), olderSecrets, object("{}"),
                    object("{}"), null, null, null, null, null, null, null, null, null, -1), CLOCK);
            store.insert(older, new MigrationStore.ProcessedCommand("c-old", "StartMigration", "m-old"), List.of(), NOW);
            sql.inTransaction(connection -> {
                try (var statement = connection.prepareStatement(
                        "UPDATE migration SET control = NULL WHERE migration_id = 'm-old'")) {
                    statement.executeUpdate();
                }
                return null;
            });

            Migration read = store.find("m-old").orElseThrow();
            assertThat(read.counter("wrongCodes")).isEqualTo(2);
            assertThat(read.flag("codeRequestInDoubt")).isTrue();
            assertThat(read.mark("tokenRefetchedFor")).isEqualTo("register");
            assertThat(read.mark("sendsInDoubt:register")).isEqualTo("1 131000 Axyz");
            assertThat(read.row().secrets()).isEqualTo(Map.of("pin", "123456"));
            assertThat(columns(dataSource, "m-old")[0]).isNull(); // reading alone changes nothing

            read.setCounter("wrongCodes", 3);
            boolean written = store.save(read, List.of(), NOW);
            assertThat(written).isTrue();
            String[] columns = columns(dataSource, "m-old");
            assertThat(json.readTree(columns[0])).isEqualTo(json.readTree("{\"wrongCodes\":3,"
                    + "\"codeRequestInDoubt\":true,\"tokenRefetchedFor\":\"register\","
                    + "\"sendsInDoubt:register\":\"1 131000 Axyz\"}"));
            assertThat(json.readTree(box.decrypt(columns[1], "m-old"))).isEqualTo(json.readTree("{\"pin\":\"123456\"}"));
            assertThat(store.find("m-old").orElseThrow().counter("wrongCodes")).isEqualTo(3);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void a_command_is_written_with_its_record_and_events_or_not_at_all(String kind) throws Exception {
        try (HikariDataSource dataSource = TestDatabase.of(kind).migratedPool()) {
            Sql sql = new Sql(dataSource);
            MigrationStore store = new MigrationStore(sql, new SecretBox("test-key"), json, CLOCK);
            ProviderPauseStore pauses = new ProviderPauseStore(sql);
            Migration started = Migration.of(new Migration.Row("m-1", "ALIBABA_CHATAPP", "49", "15112345678",
                    "4915112345678", null, MigrationState.RUNNING, "initiate", 0, object("{}"), Map.of(), object("{}"),
                    object("{}"), null, null, null, null, null, null, null, null, null, -1), CLOCK);
            assertThat(store.insert(started, new MigrationStore.ProcessedCommand("c-1", "StartMigration", "m-1"),
                    List.of(event("e-1")), NOW)).isEmpty();
            assertThat(store.isCommandProcessed("c-1")).isTrue();

            Migration sameId = Migration.of(started.row(), CLOCK);
            assertThat(store.insert(sameId, new MigrationStore.ProcessedCommand("c-2", "StartMigration", "m-1"),
                    List.of(event("e-2")), NOW)).contains(new MigrationStore.NotInserted(true, null));
            Migration sameNumber = Migration.of(new Migration.Row("m-2", "ALIBABA_CHATAPP", "49", "15112345678",
                    "4915112345678", null, MigrationState.RUNNING, "initiate", 0, object("{}"), Map.of(), object("{}"),
                    object("{}"), null, null, null, null, null, null, null, null, null, -1), CLOCK);
            assertThat(store.insert(sameNumber, new MigrationStore.ProcessedCommand("c-3", "StartMigration", "m-2"),
                    List.of(event("e-3")), NOW)).contains(new MigrationStore.NotInserted(false, "m-1"));
            assertThat(store.isCommandProcessed("c-2")).isFalse();
            assertThat(store.isCommandProcessed("c-3")).isFalse();

            // a resume from a stale copy writes nothing: no record, no event, and the pause stays
            pauses.insert(new ProviderPauses.Pause("alibaba", "SignatureDoesNotMatch", "bad signature", "m-1", NOW));
            Migration stale = store.find("m-1").orElseThrow();
            assertThat(store.saveCommand(store.find("m-1").orElseThrow(),
                    new MigrationStore.ProcessedCommand("c-4", "CancelMigration", "m-1"), List.of(event("e-4")), NOW))
                    .isTrue();
            assertThat(store.saveResume(stale, new MigrationStore.ProcessedCommand("c-5", "ResumeMigration", "m-1"),
                    List.of(event("e-5")), NOW)).isEqualTo(MigrationStore.Saved.NOT_WRITTEN);
            assertThat(store.isCommandProcessed("c-5")).isFalse();
            assertThat(pauses.find("alibaba")).isPresent();

            assertThat(store.saveResume(store.find("m-1").orElseThrow(),
                    new MigrationStore.ProcessedCommand("c-6", "ResumeMigration", "m-1"), List.of(), NOW))
                    .isEqualTo(MigrationStore.Saved.WRITTEN_PAUSE_ENDED);
            assertThat(store.isCommandProcessed("c-6")).isTrue();
            assertThat(pauses.find("alibaba")).isEmpty();
            assertThat(store.find("m-1").orElseThrow().getVersion()).isEqualTo(2);

            Outbox.Leased written = store.outbox().leaseAndRead("outbox-publisher", "a", null, NOW.plusSeconds(5), NOW, 10);
            assertThat(written.events()).extracting(Outbox.Unpublished::key).containsExactly("e-1", "e-4");
        }
    }

    private static OutboxEvent event(String id) {
        return new OutboxEvent(id, "t", id, "{}");
    }

    /** The control and secrets columns of a row, by plain SQL. */
    private static String[] columns(HikariDataSource dataSource, String migrationId) throws Exception {
        try (var connection = dataSource.getConnection();
             var statement = connection.prepareStatement("SELECT control, secrets FROM migration WHERE migration_id = ?")) {
            statement.setString(1, migrationId);
            try (var rows = statement.executeQuery()) {
                assertThat(rows.next()).isTrue();
                return new String[] {rows.getString(1), rows.getString(2)};
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void a_claim_takes_the_oldest_due_migrations_nobody_holds_up_to_its_limit(String kind) throws Exception {
        TestDatabase db = TestDatabase.of(kind);
        try (HikariDataSource dataSource = db.migratedPool()) {
            MigrationStore store = new MigrationStore(new Sql(dataSource), new SecretBox("test-key"), json, CLOCK);
            for (int i = 1; i <= 6; i++) {
                Migration m = Migration.of(new Migration.Row("m-" + i, "META_CLASSIC", "49", "1511234567" + i,
                        "491511234567" + i, null, MigrationState.RUNNING, "check-number", 0, object("{}"), Map.of(),
                        object("{}"), object("{}"), null, null, null, null, null, null, null, null, null, -1), CLOCK);
                assertThat(store.insert(m, new MigrationStore.ProcessedCommand("c-" + i, "StartMigration", "m-" + i),
                        List.of(), NOW)).isEmpty();
            }
            // due 5, 4, 3 and 2 seconds ago; m-5 not due yet; m-6 due longest, but another worker holds it
            for (int i = 1; i <= 5; i++) {
                db.execute("UPDATE migration SET next_attempt_at = TIMESTAMP WITH TIME ZONE '2026-03-01 10:00:0" + (i - 1)
                        + "+00' WHERE migration_id = 'm-" + i + "'");
            }
            db.execute("UPDATE migration SET next_attempt_at = TIMESTAMP WITH TIME ZONE '2026-03-01 09:59:00+00', "
                    + "claim_owner = 'other', claim_token = 'other-token', "
                    + "claimed_until = TIMESTAMP WITH TIME ZONE '2026-03-01 10:01:00+00' WHERE migration_id = 'm-6'");
            Instant now = Instant.parse("2026-03-01T10:00:03.500Z");
            Instant until = now.plusSeconds(120);

            assertThat(store.claimDue("me", "t-1", until, now, 2)).extracting(m -> ((Migration) m).getMigrationId())
                    .containsExactlyInAnyOrder("m-1", "m-2");
            assertThat(store.claimDue("me", "t-2", until, now, 10)).extracting(m -> ((Migration) m).getMigrationId())
                    .containsExactlyInAnyOrder("m-3", "m-4");
            assertThat(store.claimDue("me", "t-3", until, now, 10)).isEmpty();
            // the other worker's claim ran out: its migration is anybody's again
            assertThat(store.claimDue("me", "t-4", until, Instant.parse("2026-03-01T10:01:00.001Z"), 10))
                    .extracting(m -> ((Migration) m).getMigrationId()).containsExactlyInAnyOrder("m-5", "m-6");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void outbox_events_leave_in_order_under_one_lease(String kind) {
        try (HikariDataSource dataSource = TestDatabase.of(kind).migratedPool()) {
            Sql sql = new Sql(dataSource);
            Outbox outbox = new Outbox(sql);
            sql.inTransaction(connection -> {
                outbox.add(connection, List.of(new OutboxEvent("e-1", "t", "k1", "{\"n\":1}"),
                        new OutboxEvent("e-2", "t", "k2", "{\"n\":2}")), NOW);
                return null;
            });
            Instant until = NOW.plusSeconds(5);
            Outbox.Leased held = outbox.leaseAndRead("outbox-publisher", "a", null, until, NOW, 10);
            assertThat(held.events()).extracting(Outbox.Unpublished::key).containsExactly("k1", "k2");
            assertThat(held.events()).extracting(Outbox.Unpublished::payload).containsExactly("{\"n\":1}", "{\"n\":2}");
            assertThat(outbox.leaseAndRead("outbox-publisher", "b", null, until, NOW, 10)).isNull();

            List<Long> seqs = held.events().stream().map(Outbox.Unpublished::seq).toList();
            assertThat(outbox.markPublished("outbox-publisher", "a", "another-token", seqs, NOW)).isFalse();
            assertThat(outbox.markPublished("outbox-publisher", "a", held.token(), seqs, NOW)).isTrue();
            Outbox.Leased renewed = outbox.leaseAndRead("outbox-publisher", "a", held.token(), until, NOW, 10);
            assertThat(renewed.token()).isEqualTo(held.token());
            assertThat(renewed.events()).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void published_events_leave_the_outbox_after_the_retention_and_unpublished_ones_stay(String kind) throws Exception {
        TestDatabase database = TestDatabase.of(kind);
        try (HikariDataSource dataSource = database.migratedPool()) {
            Sql sql = new Sql(dataSource);
            Outbox outbox = new Outbox(sql);
            Instant longAgo = NOW.minusSeconds(10 * 86_400);
            sql.inTransaction(connection -> {
                outbox.add(connection, List.of(new OutboxEvent("e-old", "t", "k1", "{}"),
                        new OutboxEvent("e-recent", "t", "k2", "{}")), longAgo);
                outbox.add(connection, List.of(new OutboxEvent("e-unpublished", "t", "k3", "{}")), longAgo);
                return null;
            });
            Outbox.Leased held = outbox.leaseAndRead("outbox-publisher", "a", null, NOW.plusSeconds(5), NOW, 10);
            List<Long> seqs = held.events().stream().map(Outbox.Unpublished::seq).toList();
            assertThat(outbox.markPublished("outbox-publisher", "a", held.token(), seqs.subList(0, 1), longAgo)).isTrue();
            assertThat(outbox.markPublished("outbox-publisher", "a", held.token(), seqs.subList(1, 2), NOW)).isTrue();

            assertThat(outbox.prunePublished(NOW.minusSeconds(7 * 86_400))).isEqualTo(1);
            assertThat(outbox.leaseAndRead("outbox-publisher", "a", held.token(), NOW.plusSeconds(5), NOW, 10).events())
                    .as("still to publish, however old").extracting(Outbox.Unpublished::key).containsExactly("k3");
            assertThat(database.strings("SELECT event_id FROM outbox_event ORDER BY seq")).containsExactly("e-recent", "e-unpublished");
        }
    }
}
