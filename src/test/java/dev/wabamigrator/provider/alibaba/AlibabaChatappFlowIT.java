package dev.wabamigrator.provider.alibaba;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.sandbox.AlibabaSandbox;
import dev.wabamigrator.sandbox.AlibabaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.SandboxedService;
import dev.wabamigrator.support.TestDatabase;
import java.time.Duration;
import java.util.List;
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
    private static AlibabaSandboxControl cams;
    private static final Duration QUIET_PERIOD = Duration.ofSeconds(8);

    @BeforeAll
    static void start() throws Exception {
        // a lost code request is followed by a new one after this quiet period without a code (10 min in production)
        service = SandboxedService.start(TestDatabase.h2(), Map.of("app.code-wait.quiet-period-ms",
                Long.toString(QUIET_PERIOD.toMillis())));
        commands = service.commands();
        events = service.events();
        cams = AlibabaSandboxControl.of(service.app().bean("providerSandbox", ProviderSandbox.class));
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
    void should_send_register_again_only_after_reading_back_that_it_did_not_take_effect() {
        // pattern 0004: the first two register calls fail with 503 before cams registers anything
        String phone = start("m-ali-503", "13900000004");
        submitWhenAsked(phone, "m-ali-503");

        events.awaitType("m-ali-503", "waba.migration.completed");

        assertThat(cams.calls("ChatappMigrationRegister", phone)).isEqualTo(3);
        List<JsonNode> doubts = events.forMigration("m-ali-503").stream()
                .filter(e -> e.path("type").asText().endsWith("retry-scheduled")).toList();
        assertThat(doubts).hasSize(2).allSatisfy(e -> {
            assertThat(e.at("/data/step").asText()).isEqualTo("register");
            assertThat(e.at("/data/error/code").asText()).isEqualTo("CALL_OUTCOME_UNKNOWN");
            assertThat(e.at("/data/error/message").asText()).contains("InternalError").contains("read back");
        });
    }

    @Test
    void should_send_each_call_once_when_cams_acts_on_it_then_answers_503() {
        assertEachCallSentOnceWhenTheAnswerIsLost("m-ali-done-503", "13900000010", "HTTP_503", "ServiceUnavailable");
    }

    @Test
    void should_send_each_call_once_when_cams_acts_on_it_then_answers_200_with_an_html_page() {
        assertEachCallSentOnceWhenTheAnswerIsLost("m-ali-done-html", "13900000011", "MALFORMED_RESPONSE");
    }

    /** Patterns 0010 and 0011: initiate, the code request and register each take effect, then the answer is lost. */
    private static void assertEachCallSentOnceWhenTheAnswerIsLost(String migrationId, String number, String... shown) {
        String phone = start(migrationId, number);
        JsonNode waiting = awaitCodeWait(migrationId, 1);
        assertThat(waiting.at("/data/awaiting/reason").asText()).contains("may have been sent").doesNotContain("was sent");

        submit(phone, migrationId, "code-" + migrationId, cams.code(phone).orElseThrow());

        events.awaitType(migrationId, "waba.migration.completed");
        assertThat(cams.calls("CreateChatappMigrationInitiate", phone)).isEqualTo(1);
        assertThat(cams.calls("GetMigrationVerifyCode", phone)).isEqualTo(1);
        assertThat(cams.calls("ChatappMigrationRegister", phone)).isEqualTo(1);
        List<JsonNode> doubts = events.forMigration(migrationId).stream()
                .filter(e -> e.path("type").asText().endsWith("retry-scheduled")).toList();
        assertThat(doubts).extracting(e -> e.at("/data/step").asText())
                .containsExactly("initiate", "request-code", "register");
        assertThat(doubts).allSatisfy(e -> {
            assertThat(e.at("/data/error/code").asText()).isEqualTo("CALL_OUTCOME_UNKNOWN");
            assertThat(e.at("/data/error/message").asText()).containsAnyOf(shown);
        });
    }

    @Test
    void should_request_a_new_code_once_when_none_arrived_after_a_request_whose_answer_was_lost() {
        String phone = start("m-ali-quiet", "13900010010"); // pattern 0010: the first code request's answer is lost
        JsonNode inDoubt = awaitCodeWait("m-ali-quiet", 1);
        assertThat(inDoubt.at("/data/awaiting/reason").asText()).contains("may have been sent")
                .contains("a new code is requested automatically");

        // nobody submits a code: after the quiet period the wait asks for a new one by itself, and says why
        JsonNode again = awaitCodeWait("m-ali-quiet", 2); // waits up to 30 s, the quiet period is 8 s
        assertThat(again.at("/data/awaiting/reason").asText()).contains("a new code was requested")
                .contains("a verification code was sent");
        assertThat(cams.calls("GetMigrationVerifyCode", phone)).isEqualTo(2);

        submit(phone, "m-ali-quiet", "code-ali-quiet", cams.code(phone).orElseThrow());
        events.awaitType("m-ali-quiet", "waba.migration.completed");
        assertThat(cams.calls("GetMigrationVerifyCode", phone)).as("one new code per doubt, no more").isEqualTo(2);
    }

    @Test
    void should_read_a_pending_register_again_until_it_shows_connected_and_send_it_once() {
        // pattern 0012: register takes effect, answers 503, and the listing shows PENDING twice before CONNECTED
        String phone = start("m-ali-pending", "13900000012");
        submitWhenAsked(phone, "m-ali-pending");

        events.awaitType("m-ali-pending", "waba.migration.completed");

        assertThat(cams.calls("ChatappMigrationRegister", phone)).isEqualTo(1);
        assertThat(events.forMigration("m-ali-pending")).filteredOn(e -> e.at("/data/error/message").asText()
                .contains("PENDING")).hasSize(AlibabaSandbox.PENDING_LISTINGS);
        assertThat(events.awaitType("m-ali-pending", "waba.migration.completed").at("/data/result/alibabaNumberStatus")
                .asText()).isEqualTo("CONNECTED");
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
    void should_read_back_an_initiate_answered_with_a_truncated_body_instead_of_sending_it_again() {
        // pattern 0007: the initiate took effect, the answer is cut off
        String phone = start("m-ali-garbled", "13900000007");
        submitWhenAsked(phone, "m-ali-garbled");

        JsonNode completed = events.awaitType("m-ali-garbled", "waba.migration.completed");
        assertThat(cams.calls("CreateChatappMigrationInitiate", phone)).isEqualTo(1);
        assertThat(completed.at("/data/result/alibabaPhoneNumberId").asText())
                .as("kept from the status check, as the listing carries no Id").isNotEmpty();
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
