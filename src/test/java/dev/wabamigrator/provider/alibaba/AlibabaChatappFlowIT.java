package dev.wabamigrator.provider.alibaba;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.sandbox.AlibabaSandbox;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.SandboxedService;
import dev.wabamigrator.support.TestDatabase;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** ALIBABA_CHATAPP end to end through Kafka against the built-in cams sandbox, one test per branch. */
class AlibabaChatappFlowIT {
    private static SandboxedService service;
    private static Commands commands;
    private static Events events;
    private static AlibabaSandbox cams;

    @BeforeAll
    static void start() throws Exception {
        service = SandboxedService.start(TestDatabase.h2(), Map.of());
        commands = service.commands();
        events = service.events();
        cams = service.app().bean("alibabaSandbox", AlibabaSandbox.class);
    }

    @AfterAll
    static void stop() throws Exception {
        service.close(); // also holds every event against its schema
    }

    private static String start(String migrationId, String number) {
        commands.send("86" + number, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"ALIBABA_CHATAPP",
                 "phoneNumber":{"countryCode":"86","number":"%s"},
                 "alibaba":{"custSpaceId":"cams-test","verifyMethod":"sms","locale":"en_US"}}"""
                .formatted(migrationId, migrationId, number));
        return "86" + number;
    }

    private static void submit(String phone, String migrationId, String commandId, String code) {
        commands.send(phone, """
                {"commandId":"%s","type":"SubmitVerificationCode","migrationId":"%s","code":"%s"}"""
                .formatted(commandId, migrationId, code));
    }

    private static JsonNode awaitCodeWait(String migrationId, int nth) {
        return Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> events.forMigration(migrationId).stream()
                .filter(e -> "VERIFICATION_CODE".equals(e.at("/data/awaiting/kind").asText())).toList(),
                list -> list.size() >= nth).get(nth - 1);
    }

    @Test
    void should_migrate_a_number_with_a_verification_code() {
        String phone = start("m-ali-happy", "13900001234");
        JsonNode waiting = awaitCodeWait("m-ali-happy", 1);
        assertThat(waiting.at("/data/result/alibabaPhoneNumberId").asText()).isNotEmpty();

        submit(phone, "m-ali-happy", "code-ali-happy", cams.code(phone).orElseThrow());

        events.awaitType("m-ali-happy", "waba.migration.completed");
        assertThat(events.forMigration("m-ali-happy")).filteredOn(e -> e.path("type").asText().endsWith("step.succeeded"))
                .extracting(e -> e.at("/data/step").asText())
                .containsExactly("initiate", "check-verification", "request-code", "await-code", "verify", "register");
        assertThat(cams.calls("GetMigrationVerifyCode", phone)).isEqualTo(1);
        assertThat(cams.calls("ChatappMigrationRegister", phone)).isEqualTo(1);
    }

    @Test
    void should_skip_the_code_steps_for_an_already_verified_number() {
        String phone = start("m-ali-verified", "13900000001");

        events.awaitType("m-ali-verified", "waba.migration.completed");

        assertThat(events.typesFor("m-ali-verified")).doesNotContain("waba.migration.awaiting-input");
        assertThat(cams.calls("GetMigrationVerifyCode", phone)).isZero();
        assertThat(cams.calls("ChatappMigrationRegister", phone)).isEqualTo(1);
    }

    @Test
    void should_wait_out_throttling_and_finish() {
        String phone = start("m-ali-throttled", "13900000002");
        submitWhenAsked(phone, "m-ali-throttled");

        events.awaitType("m-ali-throttled", "waba.migration.completed");

        JsonNode retry = events.forMigration("m-ali-throttled").stream()
                .filter(e -> e.path("type").asText().endsWith("retry-scheduled")).findFirst().orElseThrow();
        assertThat(retry.at("/data/error/category").asText()).isEqualTo("RATE_LIMITED");
        assertThat(retry.at("/data/error/code").asText()).isEqualTo("System.LimitControl");
        assertThat(retry.at("/data/error/traceId").asText()).isNotEmpty();
    }

    @Test
    void should_ask_a_person_when_the_ram_policy_denies_the_call() {
        start("m-ali-denied", "13900000003");

        JsonNode waiting = events.await(e -> "m-ali-denied".equals(e.at("/data/migrationId").asText())
                && "HUMAN_ACTION".equals(e.at("/data/awaiting/kind").asText()));

        assertThat(waiting.at("/data/error/code").asText()).isEqualTo("Ram.PermissionDeny");
        assertThat(waiting.at("/data/error/category").asText()).isEqualTo("NEEDS_HUMAN");
        assertThat(waiting.at("/data/step").asText()).isEqualTo("initiate");
    }

    @Test
    void should_ride_out_a_failing_register_within_the_route() {
        String phone = start("m-ali-503", "13900000004");
        submitWhenAsked(phone, "m-ali-503");

        events.awaitType("m-ali-503", "waba.migration.completed");

        assertThat(cams.calls("ChatappMigrationRegister", phone)).isEqualTo(3);
        assertThat(events.typesFor("m-ali-503")).doesNotContain("waba.migration.step.retry-scheduled");
    }

    @Test
    void should_fail_when_the_resource_is_not_the_callers() {
        start("m-ali-owner", "13900000005");

        JsonNode failed = events.awaitType("m-ali-owner", "waba.migration.failed");

        assertThat(failed.at("/data/error/code").asText()).isEqualTo("Unknown.ResourceOwnerId");
        assertThat(failed.at("/data/error/category").asText()).isEqualTo("PERMANENT");
        assertThat(failed.at("/data/error/provider").asText()).isEqualTo("alibaba");
    }

    @Test
    void should_retry_a_malformed_answer() {
        String phone = start("m-ali-garbled", "13900000007");
        submitWhenAsked(phone, "m-ali-garbled");

        events.awaitType("m-ali-garbled", "waba.migration.completed");
        assertThat(cams.calls("CreateChatappMigrationInitiate", phone)).isEqualTo(2);
    }

    @Test
    void should_return_to_the_wait_after_a_wrong_code_then_finish_with_the_right_one() {
        String phone = start("m-ali-wrong", "13900005678");
        awaitCodeWait("m-ali-wrong", 1);
        String right = cams.code(phone).orElseThrow();
        submit(phone, "m-ali-wrong", "code-ali-wrong-1", right.equals("111111") ? "222222" : "111111");

        JsonNode again = awaitCodeWait("m-ali-wrong", 2);
        assertThat(again.at("/data/awaiting/reason").asText()).contains("wrong");

        submit(phone, "m-ali-wrong", "code-ali-wrong-2", right);
        events.awaitType("m-ali-wrong", "waba.migration.completed");
        assertThat(cams.calls("ChatappMigrationVerified", phone)).isEqualTo(2);
        assertThat(events.all().toString()).doesNotContain(right);
    }

    private static void submitWhenAsked(String phone, String migrationId) {
        Thread helper = new Thread(() -> {
            awaitCodeWait(migrationId, 1);
            submit(phone, migrationId, "code-" + migrationId, cams.code(phone).orElseThrow());
        });
        helper.setDaemon(true);
        helper.start();
    }
}
