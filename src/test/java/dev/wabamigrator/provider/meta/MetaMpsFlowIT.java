package dev.wabamigrator.provider.meta;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.engine.SecretBox;
import dev.wabamigrator.sandbox.MetaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.sandbox.MetaSandbox.Fault;
import dev.wabamigrator.sandbox.MetaSandbox.Ops;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.SandboxedService;
import dev.wabamigrator.support.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * META_MPS end to end through Kafka against the built-in Graph sandbox, one test per branch. Each test has its own
 * source WABA, seeded with its number (the sandbox only lists numbers it was told about); the number's last four
 * digits pick the sandbox's scripted outcome (docs/sandbox.md).
 */
class MetaMpsFlowIT {
    private static final String SECRETS_KEY = "test-secrets-key";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static TestDatabase database;
    private static SandboxedService service;
    private static Commands commands;
    private static Events events;
    private static MetaSandboxControl meta;

    @BeforeAll
    static void start() throws Exception {
        database = TestDatabase.h2();
        service = SandboxedService.start(database, Map.of("app.secrets.key", SECRETS_KEY,
                "app.provider.meta.acceptance.initial-interval-ms", "50",
                "app.provider.meta.acceptance.max-interval-ms", "200",
                "app.provider.meta.acceptance.deadline-ms", "2000",
                "app.provider.meta.usage.max-regain-wait-ms", "200"));
        commands = service.commands();
        events = service.events();
        meta = MetaSandboxControl.of(service.app().bean("providerSandbox", ProviderSandbox.class));
        meta.setPageSize(2); // lists of more than two numbers are read page by page
    }

    @AfterAll
    static void stop() throws Exception {
        service.close(); // also holds every event against its schema
    }

    /** Seeds the number in its own source WABA and starts the migration; returns the E.164 digits. */
    private static String start(String migrationId, String wabaId, String number, String pin) {
        meta.addSourceNumber(wabaId, "1", number, "Acme " + migrationId);
        commands.send("1" + number, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"META_MPS",
                 "phoneNumber":{"countryCode":"1","number":"%s"},
                 "meta":{"sourceWabaId":"%s","businessPortfolioId":"%s","displayPhoneNumber":"+1 %s",
                         "verifiedName":"Acme %s","pin":"%s"}}"""
                .formatted(migrationId, migrationId, number, wabaId, "77" + wabaId + "0000", number, migrationId, pin));
        return "1" + number;
    }

    private static JsonNode awaitHuman(String migrationId) {
        return events.await(e -> migrationId.equals(e.at("/data/migrationId").asText())
                && "HUMAN_ACTION".equals(e.at("/data/awaiting/kind").asText()));
    }

    private static List<String> succeededSteps(String migrationId) {
        return events.forMigration(migrationId).stream()
                .filter(e -> e.path("type").asText().endsWith("step.succeeded"))
                .map(e -> e.at("/data/step").asText()).toList();
    }

    @Test
    void should_move_the_number_once_the_customer_accepts() {
        String phone = start("m-mps-happy", "1000000101", "6505550101", "123456");

        JsonNode completed = events.awaitType("m-mps-happy", "waba.migration.completed");

        assertThat(succeededSteps("m-mps-happy")).containsExactly("preflight", "tag-intent", "await-acceptance",
                "fetch-business-token", "subscribe-webhooks", "check-destination", "check-number", "migrate-number",
                "register", "templates");
        assertThat(events.forMigration("m-mps-happy")).filteredOn(e -> e.path("type").asText().endsWith("awaiting-input"))
                .singleElement().satisfies(e -> {
                    assertThat(e.at("/data/awaiting/kind").asText()).isEqualTo("CUSTOMER_ACCEPTANCE");
                    assertThat(e.at("/data/awaiting/reason").asText()).contains("Meta Business Suite");
                    assertThat(e.at("/data/awaiting/expiresAt").asText()).isNotEmpty();
                });
        JsonNode result = completed.at("/data/result");
        assertThat(result.path("intentId").asText()).isNotEmpty();
        assertThat(result.path("destinationWabaId").asText()).isNotEmpty();
        assertThat(result.path("phoneNumberId").asText()).isNotEmpty();
        assertThat(meta.calls(Ops.GET_INTENT, result.path("intentId").asText())).isEqualTo(3);
        assertThat(meta.calls(Ops.SUBSCRIBE, result.path("destinationWabaId").asText())).isEqualTo(1);
        assertThat(meta.calls(Ops.REGISTER, phone)).isEqualTo(1);
    }

    @Test
    void should_keep_waiting_for_the_customer_when_a_poll_fails_outright() {
        start("m-mps-poll-503", "1000000280", "6505561002", "123456"); // 1002: never accepted, the deadline ends it
        String intentId = events.awaitType("m-mps-poll-503", "waba.migration.awaiting-input")
                .at("/data/result/intentId").asText();
        int pollsBefore = meta.calls(Ops.GET_INTENT, intentId);
        // one whole poll fails: its first try and each of its in-route redeliveries answer 503
        meta.failBeforeEffect(Ops.GET_INTENT, intentId, Fault.HTML_503, 4);

        JsonNode failed = events.awaitType("m-mps-poll-503", "waba.migration.failed");

        assertThat(failed.at("/data/step").asText()).isEqualTo("await-acceptance");
        assertThat(failed.at("/data/error/code").asText()).as("the deadline, not the 503").isEqualTo("EXPIRED");
        assertThat(meta.calls(Ops.GET_INTENT, intentId)).as("the failing poll was made, then polling went on")
                .isGreaterThan(pollsBefore + 4);
        assertThat(events.typesFor("m-mps-poll-503")).as("the wait was kept, not turned into a retry")
                .containsOnlyOnce("waba.migration.awaiting-input")
                .doesNotContain("waba.migration.step.retry-scheduled");
    }

    @Test
    void should_fail_when_the_customer_rejects_the_request() {
        start("m-mps-reject", "1000000102", "6505551001", "123456");

        JsonNode failed = events.awaitType("m-mps-reject", "waba.migration.failed");

        assertThat(failed.at("/data/step").asText()).isEqualTo("await-acceptance");
        assertThat(failed.at("/data/error/code").asText()).isEqualTo("INTENT_REJECTED");
        assertThat(failed.at("/data/error/category").asText()).isEqualTo("PERMANENT");
        assertThat(events.typesFor("m-mps-reject")).containsOnlyOnce("waba.migration.awaiting-input");
    }

    @Test
    void should_give_up_when_the_customer_does_not_accept_before_the_deadline() {
        start("m-mps-deadline", "1000000103", "6505551002", "123456");

        JsonNode failed = events.awaitType("m-mps-deadline", "waba.migration.failed");

        assertThat(failed.at("/data/step").asText()).isEqualTo("await-acceptance");
        assertThat(failed.at("/data/error/code").asText()).isEqualTo("EXPIRED");
        assertThat(events.typesFor("m-mps-deadline")).containsOnlyOnce("waba.migration.awaiting-input");
        String intentId = failed.at("/data/result/intentId").asText();
        assertThat(meta.calls(Ops.GET_INTENT, intentId)).isGreaterThan(3);
    }

    @Test
    void should_wait_for_a_person_when_the_accepted_destination_has_no_payment_method_and_move_once_it_has() {
        String phone = start("m-mps-nopay", "1000000290", "6505571002", "123456"); // 1002: only a person accepts
        String intentId = events.awaitType("m-mps-nopay", "waba.migration.awaiting-input")
                .at("/data/result/intentId").asText();
        // the customer accepts; the WABA Meta creates for them has no payment method yet
        meta.accept(intentId, Map.of("payment_method", false));

        JsonNode waiting = awaitHuman("m-mps-nopay");

        assertThat(waiting.at("/data/step").asText()).isEqualTo("check-destination");
        assertThat(waiting.at("/data/error/code").asText()).isEqualTo("PREFLIGHT_FAILED");
        assertThat(waiting.at("/data/awaiting/reason").asText())
                .contains("destination-payment-method", "add a payment method to the destination WABA", "ResumeMigration")
                .doesNotContain("destination-business-verification:", "destination-account-review:");
        String destination = waiting.at("/data/result/destinationWabaId").asText();
        assertThat(meta.calls(Ops.MIGRATE, phone)).as("no migrate call while a check fails").isZero();

        meta.setWabaFacts(destination, Map.of("payment_method", true));
        commands.send(phone, """
                {"commandId":"resume-m-mps-nopay","type":"ResumeMigration","migrationId":"m-mps-nopay"}""");

        events.awaitType("m-mps-nopay", "waba.migration.completed");
        assertThat(succeededSteps("m-mps-nopay")).containsSubsequence("subscribe-webhooks", "check-destination",
                "check-number", "migrate-number").containsOnlyOnce("check-destination");
        assertThat(meta.calls(Ops.GET_WABA, destination)).as("read once, and again on resume").isEqualTo(2);
        assertThat(meta.calls(Ops.MIGRATE, phone)).isEqualTo(1);
    }

    @Test
    void should_ask_a_person_after_a_pin_mismatch_and_never_register_again() throws Exception {
        String phone = start("m-mps-pin", "1000000104", "6505551003", "123456");

        JsonNode waiting = awaitHuman("m-mps-pin");

        assertThat(waiting.at("/data/step").asText()).isEqualTo("register");
        assertThat(waiting.at("/data/error/code").asText()).isEqualTo("133005");
        assertThat(waiting.at("/data/error/category").asText()).isEqualTo("NEEDS_HUMAN");
        assertThat(waiting.at("/data/awaiting/reason").asText()).contains("not retried automatically");
        assertThat(meta.calls(Ops.REGISTER, phone)).isEqualTo(1);
        assertThat(registerAttempts(phone)).containsExactly("133005");
    }

    @Test
    void should_reuse_the_number_already_in_the_destination() {
        String phone = start("m-mps-there", "1000000105", "6505551004", "123456");

        events.awaitType("m-mps-there", "waba.migration.completed");

        JsonNode migrated = events.forMigration("m-mps-there").stream()
                .filter(e -> e.path("type").asText().endsWith("step.succeeded")
                        && "migrate-number".equals(e.at("/data/step").asText())).findFirst().orElseThrow();
        String phoneNumberId = migrated.at("/data/result/phoneNumberId").asText();
        assertThat(phoneNumberId).isNotEmpty();
        assertThat(meta.calls(Ops.REGISTER, phoneNumberId)).isEqualTo(1);
        assertThat(meta.calls(Ops.MIGRATE, phone)).isEqualTo(1);
    }

    @Test
    void should_wait_out_a_rate_limit_and_finish() {
        start("m-mps-throttled", "1000000106", "6505551005", "123456");

        events.awaitType("m-mps-throttled", "waba.migration.completed");

        JsonNode retry = events.forMigration("m-mps-throttled").stream()
                .filter(e -> e.path("type").asText().endsWith("retry-scheduled")).findFirst().orElseThrow();
        // the scenario's first Graph call that Meta throttles: preflight's read of the source's numbers
        assertThat(retry.at("/data/step").asText()).isEqualTo("preflight");
        assertThat(retry.at("/data/error/category").asText()).isEqualTo("RATE_LIMITED");
        assertThat(retry.at("/data/error/code").asText()).isEqualTo("80007");
        assertThat(retry.at("/data/error/traceId").asText()).isNotEmpty();
        assertThat(retry.at("/data/nextAttemptAt").asText()).isNotEmpty();
    }

    @Test
    void should_wait_for_two_step_verification_to_be_disabled_then_finish_on_resume() {
        String phone = start("m-mps-2fa", "1000000107", "6505551006", "123456");

        JsonNode waiting = awaitHuman("m-mps-2fa");
        assertThat(waiting.at("/data/step").asText()).isEqualTo("migrate-number");
        assertThat(waiting.at("/data/awaiting/reason").asText()).containsIgnoringCase("two-step");

        meta.disableTwoStep(phone);
        commands.send(phone, """
                {"commandId":"resume-m-mps-2fa","type":"ResumeMigration","migrationId":"m-mps-2fa"}""");

        events.awaitType("m-mps-2fa", "waba.migration.completed");
        assertThat(meta.calls(Ops.MIGRATE, phone)).isEqualTo(2);
        assertThat(meta.calls(Ops.REGISTER, phone)).isEqualTo(1);
    }

    @Test
    void should_fetch_the_business_token_again_once_when_it_expired() {
        start("m-mps-token", "1000000108", "6505551007", "123456");

        events.awaitType("m-mps-token", "waba.migration.completed");

        assertThat(meta.calls(Ops.TOKEN, "7710000001080000")).isEqualTo(2);
        assertThat(succeededSteps("m-mps-token")).containsExactly("preflight", "tag-intent", "await-acceptance",
                "fetch-business-token", "fetch-business-token", "subscribe-webhooks", "check-destination", "check-number",
                "migrate-number", "register", "templates");
    }

    @Test
    void should_read_register_back_after_each_failing_answer_and_send_it_again_only_when_not_done() throws Exception {
        String phone = start("m-mps-503", "1000000109", "6505551008", "123456"); // 503, then 500 code 2, before effect

        JsonNode completed = events.awaitType("m-mps-503", "waba.migration.completed");

        assertThat(meta.calls(Ops.REGISTER, phone)).isEqualTo(3);
        assertThat(registerAttempts(phone)).containsExactly("HTTP_503", "2", "OK");
        // before each of the two resends, the number was read back PENDING (not registered) more than once
        assertThat(meta.calls(Ops.GET_NUMBER, completed.at("/data/result/phoneNumberId").asText()))
                .isGreaterThanOrEqualTo(4);
        assertThat(events.forMigration("m-mps-503")).filteredOn(e -> e.path("type").asText().endsWith("retry-scheduled")
                && "CALL_OUTCOME_UNKNOWN".equals(e.at("/data/error/code").asText())).isNotEmpty();
    }

    @Test
    void should_keep_the_register_in_doubt_when_reading_it_back_fails_outright() {
        String phone = "16505550281";
        meta.failAfterEffect(Ops.REGISTER, phone, Fault.ERROR_1, 1); // registered, but the answer leaves it unknown
        // the first read-back fails: its first try and each of its in-route redeliveries answer 503
        meta.failBeforeEffect(Ops.GET_NUMBER, phone, Fault.HTML_503, 4);
        start("m-mps-read-503", "1000000281", "6505550281", "123456");

        events.awaitType("m-mps-read-503", "waba.migration.completed");

        assertThat(meta.calls(Ops.REGISTER, phone)).as("read back, never sent twice").isEqualTo(1);
        assertThat(events.forMigration("m-mps-read-503")).filteredOn(e -> e.path("type").asText().endsWith("retry-scheduled"))
                .as("the lost answer, then the failed read-back: both keep the call in doubt")
                .hasSize(2)
                .allSatisfy(e -> {
                    assertThat(e.at("/data/step").asText()).isEqualTo("register");
                    assertThat(e.at("/data/error/code").asText()).isEqualTo("CALL_OUTCOME_UNKNOWN");
                });
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"ERROR_1", "GARBLED_200"})
    void should_ask_a_person_rather_than_tag_the_intent_twice_when_its_answer_leaves_it_in_doubt(Fault fault) {
        String id = "m-mps-intent-" + fault;
        String waba = "10000002" + (20 + fault.ordinal());
        meta.failAfterEffect(Ops.SET_INTENT, waba, fault, 1);
        String phone = start(id, waba, "65055502" + (20 + fault.ordinal()), "123456");

        JsonNode waiting = awaitHuman(id);

        assertThat(waiting.at("/data/step").asText()).isEqualTo("tag-intent");
        assertThat(waiting.at("/data/error/code").asText()).isEqualTo("CALL_OUTCOME_UNKNOWN");
        assertThat(meta.calls(Ops.SET_INTENT, waba)).as("sends of set_solution_migration_intent").isEqualTo(1);

        // a person checked the WABA's requests; Meta answers a second tag with the open intent
        commands.send(phone, """
                {"commandId":"resume-%s","type":"ResumeMigration","migrationId":"%s"}""".formatted(id, id));
        events.awaitType(id, "waba.migration.completed");
        assertThat(meta.calls(Ops.SET_INTENT, waba)).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"ERROR_1", "GARBLED_200"})
    void should_find_the_number_moved_rather_than_migrate_twice_when_the_answer_leaves_it_in_doubt(Fault fault) {
        String id = "m-mps-migrate-" + fault;
        String number = "65055502" + (30 + fault.ordinal());
        meta.failAfterEffect(Ops.MIGRATE, "1" + number, fault, 1);
        String phone = start(id, "10000002" + (30 + fault.ordinal()), number, "123456");

        JsonNode completed = events.awaitType(id, "waba.migration.completed");

        assertThat(meta.calls(Ops.MIGRATE, phone)).as("sends of migrate").isEqualTo(1);
        assertThat(meta.calls(Ops.REGISTER, phone)).isEqualTo(1);
        assertThat(completed.at("/data/result/phoneNumberId").asText()).isNotEmpty();
        assertThat(events.forMigration(id)).anySatisfy(e -> {
            assertThat(e.path("type").asText()).endsWith("retry-scheduled");
            assertThat(e.at("/data/step").asText()).isEqualTo("migrate-number");
            assertThat(e.at("/data/error/code").asText()).isEqualTo("CALL_OUTCOME_UNKNOWN");
        });
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"ERROR_1", "ERROR_2", "ERROR_131000", "GARBLED_200"})
    void should_read_the_number_connected_rather_than_register_twice_when_the_answer_leaves_it_in_doubt(Fault fault)
            throws Exception {
        String id = "m-mps-register-" + fault;
        String number = "65055502" + (40 + fault.ordinal());
        meta.failAfterEffect(Ops.REGISTER, "1" + number, fault, 1);
        String phone = start(id, "10000002" + (40 + fault.ordinal()), number, "123456");

        JsonNode completed = events.awaitType(id, "waba.migration.completed");

        assertThat(meta.calls(Ops.REGISTER, phone)).as("sends of register").isEqualTo(1);
        assertThat(registerAttempts(phone)).as("the budget counts the send whose answer was unusable").hasSize(1);
        assertThat(meta.calls(Ops.GET_NUMBER, completed.at("/data/result/phoneNumberId").asText())).isEqualTo(1);
    }

    @Test
    void should_stop_after_three_register_sends_in_doubt_and_ask_a_person_with_the_trace() throws Exception {
        String number = "6505550250";
        meta.failBeforeEffect(Ops.REGISTER, "1" + number, Fault.ERROR_131000, 20); // a storm of 500s, nothing done
        String phone = start("m-mps-storm", "1000000250", number, "123456");

        JsonNode waiting = awaitHuman("m-mps-storm");

        assertThat(waiting.at("/data/step").asText()).isEqualTo("register");
        assertThat(waiting.at("/data/error/code").asText()).isEqualTo("131000");
        assertThat(waiting.at("/data/error/traceId").asText()).isNotEmpty();
        assertThat(waiting.at("/data/awaiting/reason").asText()).contains("fbtrace_id").contains("ResumeMigration");
        assertThat(meta.calls(Ops.REGISTER, phone)).as("register sends in the storm").isEqualTo(3);
        assertThat(registerAttempts(phone)).containsExactly("131000", "131000", "131000");
    }

    @Test
    void should_find_the_number_on_a_later_page_of_the_source_waba() {
        String waba = "1000000260";
        for (int i = 0; i < 3; i++) { // listed before it: with two numbers a page, the number is on page 2
            meta.addSourceNumber(waba, "1", "65055502" + (61 + i), "Other " + i);
        }
        start("m-mps-paged", waba, "6505550260", "123456");

        events.awaitType("m-mps-paged", "waba.migration.completed");

        // two pages read by preflight, two by check-number
        assertThat(meta.calls(Ops.LIST_NUMBERS, waba)).isEqualTo(4);
    }

    @Test
    void should_ask_a_person_after_three_tries_answered_131000_on_a_read() {
        String waba = "1000000270";
        meta.failBeforeEffect(Ops.LIST_NUMBERS, waba, Fault.ERROR_131000, 10);
        start("m-mps-131000", waba, "6505550270", "123456");

        JsonNode waiting = awaitHuman("m-mps-131000");

        // preflight is the first step that reads the source's numbers
        assertThat(waiting.at("/data/step").asText()).isEqualTo("preflight");
        assertThat(waiting.at("/data/error/code").asText()).isEqualTo("131000");
        assertThat(waiting.at("/data/error/traceId").asText()).isNotEmpty();
        assertThat(waiting.at("/data/awaiting/reason").asText()).contains("at most 3 tries").contains("fbtrace_id");
        assertThat(meta.calls(Ops.LIST_NUMBERS, waba)).isEqualTo(3);
    }

    @Test
    void should_refuse_a_register_call_the_budget_cannot_afford() throws Exception {
        String phone = "16505550110";
        try (Connection connection = database.connect()) {
            for (int i = 0; i < 9; i++) { // 9 earlier attempts in the window: the automatic share (10 - 1) is used
                insertAttempt(connection, phone, OffsetDateTime.now(ZoneOffset.UTC).minusHours(i + 1L));
            }
        }
        start("m-mps-budget", "1000000110", "6505550110", "123456");

        JsonNode waiting = awaitHuman("m-mps-budget");

        assertThat(waiting.at("/data/step").asText()).isEqualTo("register");
        assertThat(waiting.at("/data/error/code").asText()).isEqualTo("REGISTER_BUDGET");
        assertThat(waiting.at("/data/awaiting/reason").asText()).contains("9 register/deregister calls");
        assertThat(meta.calls(Ops.REGISTER, phone)).isZero();
        assertThat(registerAttempts(phone)).hasSize(9);
    }

    @Test
    void should_keep_the_business_token_and_the_pin_out_of_events_and_encrypted_at_rest() throws Exception {
        String pin = "482917";
        start("m-mps-secret", "1000000111", "6505550111", pin);
        events.awaitType("m-mps-secret", "waba.migration.completed");

        Map<String, String> row = migrationRow("m-mps-secret");
        Map<?, ?> secrets = JSON.readValue(new SecretBox(SECRETS_KEY).decrypt(row.get("secrets"), "m-mps-secret"), Map.class);
        String token = (String) secrets.get("businessToken");
        assertThat(token).startsWith("sandbox-business-token-");
        assertThat(secrets.get("pin")).isEqualTo(pin);
        assertThat(row.values()).allSatisfy(column -> assertThat(column).doesNotContain(token).doesNotContain(pin));
        assertThat(events.records()).allSatisfy(record -> assertThat(new String(record.value(), StandardCharsets.UTF_8))
                .doesNotContain(token).doesNotContain(pin).doesNotContain("sandbox-business-token"));
    }

    private static List<String> registerAttempts(String phone) throws Exception {
        try (Connection connection = database.connect();
             PreparedStatement statement = connection.prepareStatement(
                     "SELECT outcome FROM register_attempt WHERE phone_e164 = ? ORDER BY attempted_at")) {
            statement.setString(1, phone);
            try (ResultSet rows = statement.executeQuery()) {
                List<String> outcomes = new java.util.ArrayList<>();
                while (rows.next()) {
                    outcomes.add(rows.getString(1));
                }
                return outcomes;
            }
        }
    }

    private static void insertAttempt(Connection connection, String phone, OffsetDateTime at) throws Exception {
        try (PreparedStatement statement = connection.prepareStatement("INSERT INTO register_attempt (attempt_id, "
                + "phone_e164, migration_id, operation, attempted_at, outcome) VALUES (?, ?, 'm-earlier', 'register', ?, "
                + "'133005')")) {
            statement.setString(1, UUID.randomUUID().toString());
            statement.setString(2, phone);
            statement.setObject(3, at);
            statement.executeUpdate();
        }
    }

    private static Map<String, String> migrationRow(String migrationId) throws Exception {
        try (Connection connection = database.connect();
             PreparedStatement statement = connection.prepareStatement("SELECT params, secrets, result, last_error, "
                     + "awaiting_reason FROM migration WHERE migration_id = ?")) {
            statement.setString(1, migrationId);
            try (ResultSet rows = statement.executeQuery()) {
                assertThat(rows.next()).isTrue();
                Map<String, String> row = new LinkedHashMap<>();
                for (String column : List.of("params", "secrets", "result", "last_error", "awaiting_reason")) {
                    row.put(column, rows.getString(column) == null ? "" : rows.getString(column));
                }
                return row;
            }
        }
    }
}
