package dev.wabamigrator.provider.meta;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.sandbox.MetaSandbox.Ops;
import dev.wabamigrator.sandbox.MetaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.SandboxedService;
import dev.wabamigrator.support.TestDatabase;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The preflight step of META_CLASSIC and META_MPS through Kafka against the Graph sandbox: each precondition that
 * fails alone, all of them together, the missing subscription that preflight fixes itself, and a fixed failure
 * resumed to completion. Every test has its own WABAs and number, so the sandbox's call counts are its own.
 */
class MetaPreflightIT {
    private static SandboxedService service;
    private static Commands commands;
    private static Events events;
    private static MetaSandboxControl meta;

    /** One failing precondition, set up through the sandbox's facts controls. */
    enum Failure {
        SOURCE_NOT_VERIFIED(MetaPreflight.SOURCE_VERIFICATION,
                s -> meta.setWabaFacts(s.source, Map.of("business_verification_status", "pending"))),
        SOURCE_NOT_APPROVED(MetaPreflight.SOURCE_REVIEW,
                s -> meta.setWabaFacts(s.source, Map.of("account_review_status", "PENDING"))),
        NAME_NOT_APPROVED(MetaPreflight.DISPLAY_NAME,
                s -> meta.setNumberFacts(s.phone, Map.of("name_status", "PENDING_REVIEW"))),
        NAME_CHANGE_PENDING(MetaPreflight.DISPLAY_NAME,
                s -> meta.setNumberFacts(s.phone, Map.of("new_name_status", "PENDING_REVIEW"))),
        TEST_NUMBER(MetaPreflight.TEST_NUMBER,
                s -> meta.setNumberFacts(s.phone, Map.of("account_mode", "SANDBOX"))),
        BUSINESS_APP_NUMBER(MetaPreflight.BUSINESS_APP,
                s -> meta.setNumberFacts(s.phone, Map.of("platform_type", "NOT_APPLICABLE"))),
        DESTINATION_NOT_VERIFIED(MetaPreflight.DESTINATION_VERIFICATION,
                s -> meta.setWabaFacts(s.destination, Map.of("business_verification_status", "not_verified"))),
        DESTINATION_NOT_APPROVED(MetaPreflight.DESTINATION_REVIEW,
                s -> meta.setWabaFacts(s.destination, Map.of("account_review_status", "REJECTED"))),
        NO_PAYMENT_METHOD(MetaPreflight.PAYMENT_METHOD,
                s -> meta.setWabaFacts(s.destination, Map.of("payment_method", false)));

        final String check;
        final Consumer<Sample> apply;

        Failure(String check, Consumer<Sample> apply) {
            this.check = check;
            this.apply = apply;
        }
    }

    /** A META_CLASSIC migration's own source and destination WABAs and number. */
    record Sample(String id, String source, String destination, String national, String phone) {
        static Sample of(String id, int n) {
            String national = "1190000" + String.format("%04d", 2000 + n);
            return new Sample(id, "61" + (3000 + n), "62" + (3000 + n), national, "55" + national);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        service = SandboxedService.start(TestDatabase.h2(), Map.of(
                "app.provider.meta.acceptance.initial-interval-ms", "50",
                "app.provider.meta.acceptance.max-interval-ms", "200",
                "app.provider.meta.usage.max-regain-wait-ms", "200"));
        commands = service.commands();
        events = service.events();
        meta = MetaSandboxControl.of(service.app().bean("providerSandbox", ProviderSandbox.class));
    }

    @AfterAll
    static void stop() throws Exception {
        service.close(); // also holds every event against its schema
    }

    private static void startClassic(Sample s) {
        meta.addSourceNumber(s.source, "55", s.national, "Acme BR");
        commands.send(s.phone, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"META_CLASSIC",
                 "phoneNumber":{"countryCode":"55","number":"%s"},
                 "meta":{"sourceWabaId":"%s","destinationWabaId":"%s","displayPhoneNumber":"+55 %s",
                         "verifiedName":"Acme BR","codeMethod":"SMS","language":"pt_BR","pin":"654321"}}"""
                .formatted(s.id, s.id, s.national, s.source, s.destination, s.national));
    }

    private static void resume(String migrationId, String phone, int n) {
        commands.send(phone, """
                {"commandId":"resume-%s-%d","type":"ResumeMigration","migrationId":"%s"}"""
                .formatted(migrationId, n, migrationId));
    }

    private static void submitCode(String phone, String migrationId) {
        JsonNode waiting = events.await(e -> migrationId.equals(e.at("/data/migrationId").asText())
                && "VERIFICATION_CODE".equals(e.at("/data/awaiting/kind").asText()));
        String code = meta.verificationCode(waiting.at("/data/result/phoneNumberId").asText()).orElseThrow();
        commands.send(phone, """
                {"commandId":"code-%s","type":"SubmitVerificationCode","migrationId":"%s","code":"%s"}"""
                .formatted(migrationId, migrationId, code));
    }

    private static JsonNode awaitHuman(String migrationId) {
        return events.await(e -> migrationId.equals(e.at("/data/migrationId").asText())
                && "HUMAN_ACTION".equals(e.at("/data/awaiting/kind").asText()));
    }

    private static List<JsonNode> humanWaits(String migrationId) {
        return events.forMigration(migrationId).stream()
                .filter(e -> "HUMAN_ACTION".equals(e.at("/data/awaiting/kind").asText())).toList();
    }

    /** Nothing was written at the provider for this sample: no migrate, subscribe, code request or register. */
    private static void assertNoWriteCall(Sample s) {
        assertThat(meta.calls(Ops.MIGRATE, s.destination)).as("migrate calls").isZero();
        assertThat(meta.calls(Ops.SUBSCRIBE, s.destination)).as("subscribe calls").isZero();
        assertThat(meta.calls(Ops.REQUEST_CODE, s.phone)).as("code requests").isZero();
        assertThat(meta.calls(Ops.REGISTER, s.phone)).as("register calls").isZero();
    }

    @ParameterizedTest
    @EnumSource(Failure.class)
    void should_wait_for_a_person_naming_the_failed_check_without_writing_anything(Failure failure) {
        Sample s = Sample.of("m-pre-" + failure.ordinal(), failure.ordinal());
        failure.apply.accept(s);
        startClassic(s);

        JsonNode waiting = awaitHuman(s.id);

        assertThat(waiting.at("/data/step").asText()).isEqualTo("preflight");
        String reason = waiting.at("/data/awaiting/reason").asText();
        assertThat(reason).contains("1 check(s) failed", failure.check + ":", "ResumeMigration",
                MetaPreflight.TWO_STEP);
        assertThat(meta.calls(Ops.GET_WABA, s.destination)).as("the destination was read").isEqualTo(1);
        assertNoWriteCall(s);
    }

    @Test
    void should_list_every_failed_check_in_one_wait() {
        Sample s = Sample.of("m-pre-all", 50);
        for (Failure f : Failure.values()) {
            if (f != Failure.NAME_CHANGE_PENDING) { // the same check as NAME_NOT_APPROVED
                f.apply.accept(s);
            }
        }
        meta.setWabaFacts(s.destination, Map.of("webhook_subscription", false));
        startClassic(s);

        JsonNode waiting = awaitHuman(s.id);

        String reason = waiting.at("/data/awaiting/reason").asText();
        assertThat(reason).hasSizeLessThanOrEqualTo(900).contains("9 check(s) failed", MetaPreflight.SUBSCRIPTION);
        for (Failure f : Failure.values()) {
            assertThat(reason).contains(f.check);
        }
        assertThat(humanWaits(s.id)).hasSize(1);
        assertNoWriteCall(s);
    }

    @Test
    void should_subscribe_the_missing_app_once_and_go_on() {
        Sample s = Sample.of("m-pre-subscribe", 60);
        meta.setWabaFacts(s.destination, Map.of("webhook_subscription", false));
        startClassic(s);
        submitCode(s.phone, s.id);

        events.awaitType(s.id, "waba.migration.completed");

        assertThat(meta.calls(Ops.SUBSCRIBE, s.destination)).as("subscribe calls").isEqualTo(1);
        assertThat(meta.calls(Ops.MIGRATE, s.destination)).as("migrate calls, none refused for want of an app")
                .isEqualTo(1);
        assertThat(humanWaits(s.id)).isEmpty();
    }

    @Test
    void should_complete_once_the_failure_is_fixed_and_the_migration_resumed() {
        Sample s = Sample.of("m-pre-fixed", 70);
        meta.setNumberFacts(s.phone, Map.of("new_name_status", "PENDING_REVIEW"));
        startClassic(s);
        awaitHuman(s.id);

        meta.setNumberFacts(s.phone, Map.of("new_name_status", "APPROVED"));
        resume(s.id, s.phone, 1);
        submitCode(s.phone, s.id);

        events.awaitType(s.id, "waba.migration.completed");
        assertThat(meta.calls(Ops.GET_WABA, s.source)).as("preflight ran again on resume").isEqualTo(2);
        assertThat(meta.calls(Ops.MIGRATE, s.destination)).isEqualTo(1);
        assertThat(meta.calls(Ops.REGISTER, s.phone)).isEqualTo(1);
    }

    @Test
    void should_stop_meta_mps_before_tagging_the_intent() {
        String source = "6300001";
        String national = "6505552301";
        String phone = "1" + national;
        meta.addSourceNumber(source, "1", national, "Acme US");
        meta.setNumberFacts(phone, Map.of("account_mode", "SANDBOX"));
        commands.send(phone, """
                {"commandId":"start-m-pre-mps","type":"StartMigration","migrationId":"m-pre-mps","flow":"META_MPS",
                 "phoneNumber":{"countryCode":"1","number":"%s"},
                 "meta":{"sourceWabaId":"%s","businessPortfolioId":"7700001","displayPhoneNumber":"+1 %s",
                         "verifiedName":"Acme US","pin":"123456"}}""".formatted(national, source, national));

        JsonNode waiting = awaitHuman("m-pre-mps");

        assertThat(waiting.at("/data/step").asText()).isEqualTo("preflight");
        assertThat(waiting.at("/data/awaiting/reason").asText()).contains(MetaPreflight.TEST_NUMBER + ":");
        assertThat(meta.calls(Ops.SET_INTENT, source)).as("intents tagged").isZero();

        meta.setNumberFacts(phone, Map.of("account_mode", "LIVE"));
        resume("m-pre-mps", phone, 1);

        events.awaitType("m-pre-mps", "waba.migration.completed");
        assertThat(meta.calls(Ops.SET_INTENT, source)).isEqualTo(1);
    }
}
