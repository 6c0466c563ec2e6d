package dev.wabamigrator.provider.alibaba;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wabamigrator.sandbox.AlibabaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.SandboxedService;
import dev.wabamigrator.support.TestDatabase;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A migration that only waits for a cams rate slot does not hold one of the instance's in-flight places: with the
 * places all taken by migrations queued for CreateChatappMigrationInitiate slots, a migration whose code came back
 * still runs its verify and register at once, instead of waiting for the queue in front of another operation.
 */
class RateSlotWaitIT {
    private static final int QUEUED = 10;

    @Test
    void should_finish_a_migration_whose_code_came_back_while_others_wait_for_rate_slots() throws Exception {
        // two places, one call per operation and second: ten initiates take ten seconds to leave
        try (SandboxedService service = SandboxedService.start(TestDatabase.h2(), Map.of(
                "app.scheduler.max-in-flight", "2",
                "app.provider.alibaba.max-calls-per-second", "1",
                "app.provider.alibaba.limit-per-second", "1"))) {
            AlibabaSandboxControl cams = AlibabaSandboxControl.of(service.app().bean("providerSandbox",
                    ProviderSandbox.class));
            String phone = start(service, "m-first", "13900005000");
            await(service, "m-first", "VERIFICATION_CODE");

            for (int i = 0; i < QUEUED; i++) {
                start(service, "m-queued-" + i, "1390000" + (5100 + i));
            }
            // the queued migrations were claimed and are waiting for their initiate slots
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(
                    () -> cams.calls("CreateChatappMigrationInitiate") >= 2);

            service.commands().send(phone, """
                    {"commandId":"code-m-first","type":"SubmitVerificationCode","migrationId":"m-first","code":"%s"}"""
                    .formatted(cams.code(phone).orElseThrow()));
            service.events().awaitType("m-first", "waba.migration.completed");

            // the first initiate is the first migration's own; the queue behind it had barely started
            assertThat(cams.calls("CreateChatappMigrationInitiate") - 1)
                    .as("initiates of the queued migrations sent before the first one completed")
                    .isLessThan(QUEUED / 2);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(
                    () -> cams.calls("CreateChatappMigrationInitiate") == QUEUED + 1);
            assertThat(cams.throttledCount()).isZero();
        }
    }

    private static String start(SandboxedService service, String migrationId, String number) {
        service.commands().send("86" + number, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"ALIBABA_CHATAPP",
                 "phoneNumber":{"countryCode":"86","number":"%s"},
                 "alibaba":{"custSpaceId":"cams-test","verifyMethod":"sms","locale":"en_US"}}"""
                .formatted(migrationId, migrationId, number));
        return "86" + number;
    }

    private static void await(SandboxedService service, String migrationId, String awaitingKind) {
        service.events().await(e -> migrationId.equals(e.at("/data/migrationId").asText())
                && awaitingKind.equals(e.at("/data/awaiting/kind").asText()), Duration.ofSeconds(30));
    }
}
