package dev.wabamigrator.provider.meta;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.sandbox.MetaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.sandbox.MetaSandbox.Fault;
import dev.wabamigrator.sandbox.MetaSandbox.Ops;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.SandboxedService;
import dev.wabamigrator.support.TestDatabase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * META_CLASSIC end to end through Kafka against the built-in Graph sandbox: migrate, request a code, wait for it
 * (SubmitVerificationCode, read from the sandbox as the number's owner would read the SMS), verify, register.
 * The number's last four digits pick the sandbox's scripted outcome (docs/sandbox.md).
 */
class MetaClassicFlowIT {
    private static final String DESTINATION_WABA = "4440000001";

    private static SandboxedService service;
    private static Commands commands;
    private static Events events;
    private static MetaSandboxControl meta;

    @BeforeAll
    static void start() throws Exception {
        service = SandboxedService.start(TestDatabase.h2(), Map.of("app.provider.meta.usage.max-regain-wait-ms", "200"));
        commands = service.commands();
        events = service.events();
        meta = MetaSandboxControl.of(service.app().bean("providerSandbox", ProviderSandbox.class));
        // two numbers a page, and three listed in the destination before any migration: every migrated number is on
        // page 2 or later of the destination's phone_numbers
        meta.setPageSize(2);
        for (int i = 0; i < 3; i++) {
            meta.addSourceNumber(DESTINATION_WABA, "55", "1198765090" + i, "Already there " + i);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        service.close(); // also holds every event against its schema
    }

    private static String start(String migrationId, String number) {
        commands.send("55" + number, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"META_CLASSIC",
                 "phoneNumber":{"countryCode":"55","number":"%s"},
                 "meta":{"destinationWabaId":"%s","displayPhoneNumber":"+55 %s","verifiedName":"Acme BR",
                         "codeMethod":"SMS","language":"pt_BR","pin":"654321"}}"""
                .formatted(migrationId, migrationId, number, DESTINATION_WABA, number));
        return "55" + number;
    }

    /** Waits for the code wait, reads the code the sandbox "sent" and submits it. */
    private static void submitCode(String phone, String migrationId) {
        JsonNode waiting = events.await(e -> migrationId.equals(e.at("/data/migrationId").asText())
                && "VERIFICATION_CODE".equals(e.at("/data/awaiting/kind").asText()));
        String phoneNumberId = waiting.at("/data/result/phoneNumberId").asText();
        String code = meta.verificationCode(phoneNumberId).orElseThrow();
        commands.send(phone, """
                {"commandId":"code-%s","type":"SubmitVerificationCode","migrationId":"%s","code":"%s"}"""
                .formatted(migrationId, migrationId, code));
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
    void should_migrate_verify_and_register_the_number() {
        String phone = start("m-classic-happy", "11987650101");
        submitCode(phone, "m-classic-happy");

        JsonNode completed = events.awaitType("m-classic-happy", "waba.migration.completed");

        assertThat(succeededSteps("m-classic-happy"))
                .containsExactly("preflight", "migrate-number", "request-code", "await-code", "verify",
                        "register", "templates");
        String phoneNumberId = completed.at("/data/result/phoneNumberId").asText();
        assertThat(meta.calls(Ops.REQUEST_CODE, phoneNumberId)).isEqualTo(1);
        assertThat(meta.calls(Ops.REGISTER, phone)).isEqualTo(1);
        assertThat(events.all().toString()).doesNotContain("654321");
    }

    @Test
    void should_reuse_the_number_already_in_the_destination() {
        String phone = start("m-classic-there", "11987651004");
        submitCode(phone, "m-classic-there");

        JsonNode completed = events.awaitType("m-classic-there", "waba.migration.completed");

        assertThat(completed.at("/data/result/phoneNumberId").asText()).isNotEmpty();
        assertThat(meta.calls(Ops.MIGRATE, phone)).isEqualTo(1);
        assertThat(meta.calls(Ops.LIST_NUMBERS, DESTINATION_WABA)).isGreaterThanOrEqualTo(1);
    }

    @Test
    void should_wait_out_a_rate_limit_and_finish() {
        String phone = start("m-classic-throttled", "11987651005");
        submitCode(phone, "m-classic-throttled");

        events.awaitType("m-classic-throttled", "waba.migration.completed");

        JsonNode retry = events.forMigration("m-classic-throttled").stream()
                .filter(e -> e.path("type").asText().endsWith("retry-scheduled")).findFirst().orElseThrow();
        assertThat(retry.at("/data/step").asText()).isEqualTo("migrate-number");
        assertThat(retry.at("/data/error/category").asText()).isEqualTo("RATE_LIMITED");
        assertThat(retry.at("/data/error/code").asText()).isEqualTo("80007");
    }

    @Test
    void should_wait_for_two_step_verification_to_be_disabled_then_finish_on_resume() {
        String phone = start("m-classic-2fa", "11987651006");

        JsonNode waiting = awaitHuman("m-classic-2fa");
        assertThat(waiting.at("/data/step").asText()).isEqualTo("migrate-number");
        assertThat(waiting.at("/data/error/category").asText()).isEqualTo("NEEDS_HUMAN");
        assertThat(waiting.at("/data/awaiting/reason").asText()).containsIgnoringCase("two-step");

        meta.disableTwoStep(phone);
        commands.send(phone, """
                {"commandId":"resume-m-classic-2fa","type":"ResumeMigration","migrationId":"m-classic-2fa"}""");
        submitCode(phone, "m-classic-2fa");

        events.awaitType("m-classic-2fa", "waba.migration.completed");
        assertThat(meta.calls(Ops.MIGRATE, phone)).isEqualTo(2);
    }

    @Test
    void should_ask_a_person_after_a_pin_mismatch_and_never_register_again() {
        String phone = start("m-classic-pin", "11987651003");
        submitCode(phone, "m-classic-pin");

        JsonNode waiting = awaitHuman("m-classic-pin");

        assertThat(waiting.at("/data/step").asText()).isEqualTo("register");
        assertThat(waiting.at("/data/error/code").asText()).isEqualTo("133005");
        assertThat(meta.calls(Ops.REGISTER, phone)).isEqualTo(1);
    }

    @Test
    void should_subscribe_the_app_once_when_the_destination_has_none() {
        String phone = start("m-classic-subscribe", "11987651010");
        submitCode(phone, "m-classic-subscribe");

        events.awaitType("m-classic-subscribe", "waba.migration.completed");

        assertThat(meta.calls(Ops.SUBSCRIBE, DESTINATION_WABA)).isEqualTo(1);
        assertThat(meta.calls(Ops.MIGRATE, phone)).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"ERROR_1", "GARBLED_200"})
    void should_find_the_number_on_a_later_page_rather_than_migrate_twice_when_the_answer_leaves_it_in_doubt(
            Fault fault) {
        String id = "m-classic-migrate-" + fault;
        String number = "119876502" + (30 + fault.ordinal());
        meta.failAfterEffect(Ops.MIGRATE, "55" + number, fault, 1);
        int pagesBefore = meta.calls(Ops.LIST_NUMBERS, DESTINATION_WABA);
        String phone = start(id, number);
        submitCode(phone, id);

        JsonNode completed = events.awaitType(id, "waba.migration.completed");

        assertThat(meta.calls(Ops.MIGRATE, phone)).as("sends of migrate").isEqualTo(1);
        assertThat(completed.at("/data/result/phoneNumberId").asText()).isNotEmpty();
        assertThat(meta.calls(Ops.LIST_NUMBERS, DESTINATION_WABA) - pagesBefore).as("pages read back")
                .isGreaterThanOrEqualTo(2);
        assertThat(meta.calls(Ops.REGISTER, phone)).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"ERROR_1", "ERROR_2", "ERROR_131000", "GARBLED_200"})
    void should_read_the_number_connected_rather_than_register_twice_when_the_answer_leaves_it_in_doubt(Fault fault) {
        String id = "m-classic-register-" + fault;
        String number = "119876502" + (40 + fault.ordinal());
        meta.failAfterEffect(Ops.REGISTER, "55" + number, fault, 1);
        String phone = start(id, number);
        submitCode(phone, id);

        JsonNode completed = events.awaitType(id, "waba.migration.completed");

        assertThat(meta.calls(Ops.REGISTER, phone)).as("sends of register").isEqualTo(1);
        assertThat(meta.calls(Ops.GET_NUMBER, completed.at("/data/result/phoneNumberId").asText())).isEqualTo(1);
        assertThat(succeededSteps(id)).containsExactly("preflight", "migrate-number", "request-code", "await-code",
                "verify", "register", "templates");
    }
}
