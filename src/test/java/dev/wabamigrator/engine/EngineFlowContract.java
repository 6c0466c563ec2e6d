package dev.wabamigrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.support.Closing;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.StepServer;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The durable step engine end to end — commands in through Kafka, steps against a fake provider, events out —
 * run once per database ({@link EngineFlowH2IT}, {@link EngineFlowPostgresIT}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class EngineFlowContract {
    private static final AtomicInteger NUMBERS = new AtomicInteger(5550000);

    private StepServer provider;
    private TestDatabase db;
    private TestApp app;
    private Commands commands;
    private Events events;

    abstract TestDatabase database();

    @BeforeAll
    void start() throws Exception {
        provider = new StepServer();
        db = database();
        Map<String, String> properties = TestApp.defaults(db, TestApp.uniqueSuffix(), provider.url());
        app = TestApp.start(properties);
        commands = new Commands(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.commands"));
        events = new Events(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.events"));
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (events != null) {
                assertThat(events.all()).isNotEmpty().allSatisfy(event ->
                        assertThat(MessageSchemas.shared().validateEvent(event)).as(event.toString()).isEmpty());
            }
        } finally {
            Closing.inOrder(events, commands, app, provider);
        }
    }

    private String startMigration(String flow, String migrationId) {
        return commands.start(flow, migrationId, "650" + NUMBERS.incrementAndGet());
    }

    private void send(String key, String type, String migrationId, String commandId, String extra) {
        commands.send(key, """
                {"commandId":"%s","type":"%s","migrationId":"%s"%s}""".formatted(commandId, type, migrationId, extra));
    }

    /** Waits for the nth awaiting-input event of this kind for the migration, and returns it. */
    private JsonNode awaitWaiting(String migrationId, String kind, int nth) {
        return org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> events.forMigration(migrationId).stream()
                        .filter(e -> kind.equals(e.at("/data/awaiting/kind").asText())).toList(), list -> list.size() >= nth)
                .get(nth - 1);
    }

    @Test
    void should_run_every_step_and_publish_each_as_a_valid_event_keyed_by_number() {
        String key = startMigration("TEST_STEPS", "m-happy");

        JsonNode completed = events.awaitType("m-happy", "waba.migration.completed");

        assertThat(events.typesFor("m-happy")).containsExactly("waba.migration.accepted",
                "waba.migration.step.succeeded", "waba.migration.step.succeeded", "waba.migration.step.succeeded",
                "waba.migration.completed");
        assertThat(events.forMigration("m-happy")).extracting(e -> e.path("data").path("step").asText())
                .containsExactly("one", "one", "two", "three", "three");
        assertThat(completed.at("/data/result/twoId").asText()).isEqualTo("two-m-happy");
        assertThat(completed.path("subject").asText()).isEqualTo("m-happy");
        assertThat(events.records()).filteredOn(r -> r.value() != null && new String(r.value()).contains("m-happy"))
                .allSatisfy(r -> assertThat(r.key()).isEqualTo(key));
        assertThat(provider.calls("one", "m-happy") + provider.calls("two", "m-happy") + provider.calls("three", "m-happy"))
                .isEqualTo(3);
    }

    @Test
    void should_carry_the_batch_id_in_every_event_of_a_migration_started_in_a_batch_and_none_otherwise() {
        String number = "650" + NUMBERS.incrementAndGet();
        commands.send("1" + number, """
                {"commandId":"start-m-batched","type":"StartMigration","migrationId":"m-batched","flow":"TEST_CODE",
                 "batchId":"wave-7","phoneNumber":{"countryCode":"1","number":"%s"}}""".formatted(number));
        startMigration("TEST_STEPS", "m-unbatched");
        awaitWaiting("m-batched", "VERIFICATION_CODE", 1);
        send("1" + number, "SubmitVerificationCode", "m-batched", "batched-code", ",\"code\":\"123456\"");

        events.awaitType("m-batched", "waba.migration.completed");
        events.awaitType("m-unbatched", "waba.migration.completed");

        assertThat(events.typesFor("m-batched")).contains("waba.migration.accepted", "waba.migration.step.succeeded",
                "waba.migration.awaiting-input", "waba.migration.completed");
        assertThat(events.forMigration("m-batched")).allSatisfy(event ->
                assertThat(event.at("/data/batchId").asText()).as(event.toString()).isEqualTo("wave-7"));
        assertThat(events.forMigration("m-unbatched")).isNotEmpty().allSatisfy(event ->
                assertThat(event.path("data").has("batchId")).as(event.toString()).isFalse());
    }

    @Test
    void should_run_a_flow_added_as_one_route_file_in_the_order_its_route_gives() {
        // test-routes/test-reversed.camel.yaml is all there is of TEST_REVERSED: no property, no Java
        startMigration("TEST_REVERSED", "m-reversed");

        events.awaitType("m-reversed", "waba.migration.completed");

        assertThat(events.forMigration("m-reversed")).extracting(e -> e.path("data").path("step").asText())
                .containsExactly("three", "three", "one", "one");
        assertThat(provider.calls("three", "m-reversed")).isEqualTo(1);
        assertThat(provider.calls("one", "m-reversed")).isEqualTo(1);
    }

    @Test
    void should_wait_for_a_code_and_return_to_the_wait_after_a_wrong_one() throws Exception {
        String key = startMigration("TEST_CODE", "m-code");
        JsonNode waiting = awaitWaiting("m-code", "VERIFICATION_CODE", 1);
        assertThat(waiting.at("/data/state").asText()).isEqualTo("AWAITING_INPUT");
        assertThat(waiting.at("/data/step").asText()).isEqualTo("await-code");
        assertThat(waiting.at("/data/awaiting/expiresAt").asText()).isNotEmpty();

        send(key, "SubmitVerificationCode", "m-code", "code-wrong", ",\"code\":\"000000\"");
        JsonNode again = awaitWaiting("m-code", "VERIFICATION_CODE", 2);
        assertThat(again.at("/data/awaiting/reason").asText()).contains("wrong");
        // the count is control state, readable by an operator in plain SQL (not sealed with the secrets)
        assertThat(new ObjectMapper().readTree(column("m-code", "control")).path("wrongCodes").asInt()).isEqualTo(1);

        send(key, "SubmitVerificationCode", "m-code", "code-right", ",\"code\":\"123456\"");
        events.awaitType("m-code", "waba.migration.completed");
        assertThat(provider.calls("request-code", "m-code")).isEqualTo(1);
        assertThat(events.all().toString()).doesNotContain("123456").doesNotContain("000000");
    }

    @Test
    void should_request_a_new_code_on_resend() {
        String key = startMigration("TEST_CODE", "m-resend");
        awaitWaiting("m-resend", "VERIFICATION_CODE", 1);

        send(key, "ResendVerificationCode", "m-resend", "resend-1", "");

        awaitWaiting("m-resend", "VERIFICATION_CODE", 2);
        assertThat(provider.calls("request-code", "m-resend")).isEqualTo(2);
    }

    @Test
    void should_cancel_a_waiting_migration_and_reject_later_input() {
        String key = startMigration("TEST_CODE", "m-cancel");
        awaitWaiting("m-cancel", "VERIFICATION_CODE", 1);

        send(key, "CancelMigration", "m-cancel", "cancel-1", ",\"reason\":\"customer changed their mind\"");
        JsonNode cancelled = events.awaitType("m-cancel", "waba.migration.cancelled");
        assertThat(cancelled.at("/data/state").asText()).isEqualTo("CANCELLED");
        assertThat(cancelled.at("/data/commandId").asText()).isEqualTo("cancel-1");

        send(key, "SubmitVerificationCode", "m-cancel", "late-code", ",\"code\":\"123456\"");
        JsonNode rejected = events.awaitRejection("late-code");
        assertThat(rejected.at("/data/reason/code").asText()).isEqualTo("INVALID_STATE");
        assertThat(provider.calls("three", "m-cancel")).isZero();
    }

    @Test
    void should_refuse_to_cancel_while_a_call_not_safe_to_repeat_is_in_flight() {
        String key;
        provider.latency(java.time.Duration.ofSeconds(3)); // every answer comes 3 s after the call took effect
        try {
            key = startMigration("TEST_STEPS", "m-cancel-in-flight");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> provider.requests("two", "m-cancel-in-flight") == 1);

            send(key, "CancelMigration", "m-cancel-in-flight", "cancel-in-flight", ",\"reason\":\"changed plans\"");
            JsonNode rejected = events.awaitRejection("cancel-in-flight");
            assertThat(rejected.at("/data/reason/code").asText()).isEqualTo("INVALID_STATE");
            assertThat(rejected.at("/data/reason/message").asText()).contains("two call in flight")
                    .contains("retry the cancel once the call has settled");
        } finally {
            provider.latency(java.time.Duration.ZERO);
        }

        // the number did move: the migration carries on and says so, it is never recorded as cancelled
        events.awaitType("m-cancel-in-flight", "waba.migration.completed");
        assertThat(events.typesFor("m-cancel-in-flight")).doesNotContain("waba.migration.cancelled");
        assertThat(provider.calls("two", "m-cancel-in-flight")).isEqualTo(1);
    }

    @Test
    void should_absorb_brief_outages_in_the_route_and_park_longer_ones() {
        provider.script("one", "m-blip", 503, 503);        // within the in-route redeliveries: no event
        provider.script("one", "m-outage", 503, 503, 503, 503, 503); // past them: parked once, then retried
        startMigration("TEST_STEPS", "m-blip");
        startMigration("TEST_STEPS", "m-outage");

        events.awaitType("m-blip", "waba.migration.completed");
        events.awaitType("m-outage", "waba.migration.completed");

        assertThat(events.typesFor("m-blip")).doesNotContain("waba.migration.step.retry-scheduled");
        JsonNode retry = events.forMigration("m-outage").stream()
                .filter(e -> e.path("type").asText().equals("waba.migration.step.retry-scheduled")).findFirst().orElseThrow();
        assertThat(retry.at("/data/error/category").asText()).isEqualTo("TRANSIENT");
        assertThat(retry.at("/data/error/code").asText()).isEqualTo("HTTP_503");
        assertThat(retry.at("/data/error/retryable").asBoolean()).isTrue();
        assertThat(retry.at("/data/nextAttemptAt").asText()).isNotEmpty();
        assertThat(provider.calls("one", "m-outage")).isEqualTo(6);
    }

    @Test
    void should_read_back_a_call_not_safe_to_repeat_after_a_5xx_and_never_send_it_twice() {
        provider.script("two", "m-5xx-after-effect", 503); // the call took effect, then the answer was an error
        provider.script("two", "m-garbled", StepServer.GARBLED_200); // took effect, answered with an HTML page
        startMigration("TEST_STEPS", "m-5xx-after-effect");
        startMigration("TEST_STEPS", "m-garbled");

        events.awaitType("m-5xx-after-effect", "waba.migration.completed");
        events.awaitType("m-garbled", "waba.migration.completed");

        assertThat(provider.calls("two", "m-5xx-after-effect")).isEqualTo(1);
        assertThat(provider.calls("two", "m-garbled")).isEqualTo(1);
        JsonNode doubt = events.forMigration("m-5xx-after-effect").stream()
                .filter(e -> e.path("type").asText().equals("waba.migration.step.retry-scheduled")).findFirst().orElseThrow();
        assertThat(doubt.at("/data/error/code").asText()).isEqualTo("CALL_OUTCOME_UNKNOWN");
        assertThat(doubt.at("/data/error/message").asText()).contains("HTTP_503").contains("read back");
    }

    @Test
    void should_read_a_pending_call_again_later_instead_of_sending_it_again() {
        provider.script("two", "m-pending", 503);
        provider.pendingReadBacks("two", "m-pending", 2);
        startMigration("TEST_STEPS", "m-pending");

        events.awaitType("m-pending", "waba.migration.completed");

        assertThat(provider.calls("two", "m-pending")).isEqualTo(1);
        assertThat(events.forMigration("m-pending")).filteredOn(e -> e.at("/data/error/message").asText()
                .contains("PENDING")).hasSize(2);
    }

    @Test
    void should_ask_a_person_when_the_effect_never_settles_and_read_back_again_on_resume() {
        String key = startMigration("TEST_STEPS", "m-unsettled");
        provider.script("two", "m-unsettled", 503);
        provider.pendingReadBacks("two", "m-unsettled", 1000);

        JsonNode waiting = awaitWaiting("m-unsettled", "HUMAN_ACTION", 1);
        assertThat(waiting.at("/data/step").asText()).isEqualTo("two");
        assertThat(waiting.at("/data/error/code").asText()).isEqualTo("CALL_OUTCOME_UNKNOWN");
        assertThat(waiting.at("/data/awaiting/reason").asText()).contains("read-backs");
        assertThat(provider.calls("two", "m-unsettled")).isEqualTo(1);

        provider.pendingReadBacks("two", "m-unsettled", -1000); // the provider settles: the call had arrived
        send(key, "ResumeMigration", "m-unsettled", "resume-unsettled", "");
        events.awaitType("m-unsettled", "waba.migration.completed");
        assertThat(provider.calls("two", "m-unsettled")).isEqualTo(1);
    }

    @Test
    void should_send_a_call_again_only_after_reading_back_that_it_did_not_take_effect() {
        provider.script("two", "m-not-arrived", StepServer.LOST_502); // a gateway error before the call was processed
        startMigration("TEST_STEPS", "m-not-arrived");

        events.awaitType("m-not-arrived", "waba.migration.completed");

        assertThat(provider.requests("two", "m-not-arrived")).isEqualTo(2);
        assertThat(provider.calls("two", "m-not-arrived")).isEqualTo(1);
    }

    @Test
    void should_wait_out_a_rate_limit_and_say_so() {
        provider.script("one", "m-throttled", 429, 429, 429, 429);
        startMigration("TEST_STEPS", "m-throttled");

        events.awaitType("m-throttled", "waba.migration.completed");

        JsonNode retry = events.forMigration("m-throttled").stream()
                .filter(e -> e.path("type").asText().equals("waba.migration.step.retry-scheduled")).findFirst().orElseThrow();
        assertThat(retry.at("/data/error/category").asText()).isEqualTo("RATE_LIMITED");
        assertThat(retry.at("/data/error/traceId").asText()).isEqualTo("trace-429");
    }

    @Test
    void should_park_for_a_person_and_continue_on_resume() {
        String key = startMigration("TEST_STEPS", "m-human");
        provider.script("two", "m-human", 403);

        JsonNode waiting = awaitWaiting("m-human", "HUMAN_ACTION", 1);
        assertThat(waiting.at("/data/step").asText()).isEqualTo("two");
        assertThat(waiting.at("/data/error/category").asText()).isEqualTo("NEEDS_HUMAN");
        assertThat(waiting.at("/data/awaiting/reason").asText()).contains("grant the permission");

        send(key, "ResumeMigration", "m-human", "resume-human", "");
        events.awaitType("m-human", "waba.migration.completed");
        assertThat(provider.calls("one", "m-human")).isEqualTo(1);
        assertThat(provider.calls("two", "m-human")).isEqualTo(2);
    }

    @Test
    void should_fail_on_a_permanent_error_and_resume_at_the_failed_step() {
        String key = startMigration("TEST_STEPS", "m-fail");
        provider.script("three", "m-fail", 400);

        JsonNode failed = events.awaitType("m-fail", "waba.migration.failed");
        assertThat(failed.at("/data/state").asText()).isEqualTo("FAILED");
        assertThat(failed.at("/data/step").asText()).isEqualTo("three");
        assertThat(failed.at("/data/error/category").asText()).isEqualTo("PERMANENT");
        assertThat(failed.at("/data/error/retryable").asBoolean()).isFalse();

        send(key, "ResumeMigration", "m-fail", "resume-fail", "");
        events.awaitType("m-fail", "waba.migration.completed");
        assertThat(provider.calls("one", "m-fail")).isEqualTo(1);
        assertThat(provider.calls("two", "m-fail")).isEqualTo(1);
        assertThat(provider.calls("three", "m-fail")).isEqualTo(2);
    }

    /** Writes a migration row the way a damaged database or a changed key leaves it: due an hour ago, in a batch. */
    private void writeRow(String migrationId, String flow, String state, String params, String secrets) throws Exception {
        String number = "650" + NUMBERS.incrementAndGet();
        OffsetDateTime anHourAgo = OffsetDateTime.now(ZoneOffset.UTC).minusHours(1);
        try (Connection connection = db.connect();
             PreparedStatement insert = connection.prepareStatement("""
                     INSERT INTO migration (migration_id, flow, country_code, national_number, phone_e164, active_phone,
                         batch_id, state, step, attempt, params, secrets, result, next_attempt_at, version, created_at,
                         updated_at)
                     VALUES (?, ?, '1', ?, ?, ?, 'damaged-rows', ?, 'two', 0, ?, ?, '{}', ?, 3, ?, ?)""")) {
            insert.setString(1, migrationId);
            insert.setString(2, flow);
            insert.setString(3, number);
            insert.setString(4, "1" + number);
            insert.setString(5, "1" + number);
            insert.setString(6, state);
            insert.setString(7, params);
            insert.setString(8, secrets);
            insert.setObject(9, anHourAgo);
            insert.setObject(10, anHourAgo);
            insert.setObject(11, anHourAgo);
            insert.executeUpdate();
        }
    }

    private String column(String migrationId, String column) throws Exception {
        try (Connection connection = db.connect();
             PreparedStatement select = connection.prepareStatement("SELECT " + column + " FROM migration WHERE migration_id = ?")) {
            select.setString(1, migrationId);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }

    @Test
    void should_set_unreadable_rows_aside_for_a_person_while_the_others_complete() throws Exception {
        // sealed under another key: the same format, a different SECRETS_KEY
        String otherKeysSecret = new SecretBox("a-key-that-was-replaced").encrypt("{\"pin\":\"135790\"}", "m-old-key");
        writeRow("m-old-key", "TEST_STEPS", "RUNNING", "{}", otherKeysSecret);
        writeRow("m-bad-params", "TEST_STEPS", "RUNNING", "{not json", null);
        writeRow("m-params-array", "TEST_STEPS", "RUNNING", "[1,2]", null);
        writeRow("m-bad-state", "TEST_STEPS", "PAUSED", "{}", null);
        writeRow("m-bad-flow", "NO_SUCH_FLOW", "RUNNING", "{}", null);
        startMigration("TEST_STEPS", "m-beside-1");
        startMigration("TEST_STEPS", "m-beside-2");

        events.awaitType("m-beside-1", "waba.migration.completed");
        events.awaitType("m-beside-2", "waba.migration.completed");
        for (String id : new String[] {"m-old-key", "m-bad-params", "m-params-array", "m-bad-state", "m-bad-flow"}) {
            JsonNode waiting = awaitWaiting(id, "HUMAN_ACTION", 1);
            assertThat(waiting.at("/data/error/code").asText()).as(id).isEqualTo("UNREADABLE_STATE");
            assertThat(waiting.at("/data/state").asText()).isEqualTo("AWAITING_INPUT");
            assertThat(waiting.at("/data/step").asText()).isEqualTo("two");
            assertThat(waiting.at("/data/phoneNumber/e164").asText()).isEqualTo(column(id, "phone_e164"));
            assertThat(waiting.at("/data/batchId").asText()).as(id).isEqualTo("damaged-rows");
            assertThat(column(id, "state")).isEqualTo("AWAITING_INPUT");
            assertThat(column(id, "awaiting")).isEqualTo("HUMAN_ACTION");
            assertThat(column(id, "next_attempt_at")).as("nothing due: no claim loop").isNull();
        }
        assertThat(awaitWaiting("m-old-key", "HUMAN_ACTION", 1).at("/data/error/message").asText()).contains("decrypted");
        assertThat(awaitWaiting("m-bad-flow", "HUMAN_ACTION", 1).at("/data/flow").asText()).isEqualTo("NO_SUCH_FLOW");
        assertThat(column("m-old-key", "secrets")).as("kept for a repair").isEqualTo(otherKeysSecret);
        assertThat(provider.calls("two", "m-old-key") + provider.calls("two", "m-bad-params")).isZero();

        // a command for it is rejected rather than breaking intake, and says why
        send("1", "ResumeMigration", "m-bad-params", "resume-unreadable", "");
        JsonNode rejected = events.awaitRejection("resume-unreadable");
        assertThat(rejected.at("/data/reason/code").asText()).isEqualTo("INVALID_STATE");
        assertThat(rejected.at("/data/reason/message").asText()).contains("params cannot be read");
        assertThat(events.all().toString()).doesNotContain("135790").doesNotContain(otherKeysSecret);
        // each is announced once: set aside, it is no longer claimed
        assertThat(events.forMigration("m-old-key")).hasSize(1);
    }

    @Test
    void should_reject_what_the_database_could_not_store_and_take_the_next_command() {
        // U+0000 cannot be stored by PostgreSQL, and these fields overflow their columns (type 40, migrationId 64)
        commands.send("1", """
                {"commandId":"nul-text","type":"StartMigration","migrationId":"m-nul","flow":"TEST_STEPS",
                 "phoneNumber":{"countryCode":"1","number":"6505559001"},"note":"a\\u0000b"}""");
        commands.send("1", "{\"commandId\":\"long-type\",\"type\":\"" + "T".repeat(500) + "\",\"migrationId\":\""
                + "m".repeat(500) + "\"}");
        commands.send("k".repeat(101), "{\"commandId\":\"long-key\",\"type\":\"ResumeMigration\",\"migrationId\":\"m-none\"}");

        assertThat(events.awaitRejection("nul-text").at("/data/reason/code").asText()).isEqualTo("SCHEMA_VIOLATION");
        assertThat(events.awaitRejection("long-type").at("/data/reason/code").asText()).isEqualTo("UNKNOWN_COMMAND_TYPE");
        assertThat(events.awaitRejection("long-key").at("/data/reason/code").asText()).isEqualTo("INVALID_KEY");
        startMigration("TEST_STEPS", "m-after-poison");
        events.awaitType("m-after-poison", "waba.migration.accepted");
    }
}
