package dev.wabamigrator.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wabamigrator.event.EventTypes;
import dev.wabamigrator.sandbox.MetaSandbox.Ops;
import dev.wabamigrator.sandbox.MetaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.SandboxedService;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sandbox's webhook mode (app.sandbox.meta.webhook-url, docs/sandbox.md): the customer's acceptance reaches the
 * service as a signed PARTNER_ADDED, and the migration goes on without waiting for its 15-minute poll.
 */
class MetaSandboxWebhooksIT {
    private static SandboxedService service;
    private static MetaSandboxControl meta;
    private static Events events;

    @BeforeAll
    static void start() throws Exception {
        int port = TestApp.freePort();
        service = SandboxedService.start(TestDatabase.h2(), Map.of("app.webhook.port", String.valueOf(port),
                "app.sandbox.meta.webhook-url", "http://127.0.0.1:" + port + "/webhooks/meta",
                "app.provider.meta.acceptance.initial-interval-ms", "900000",
                "app.provider.meta.acceptance.max-interval-ms", "900000"));
        meta = MetaSandboxControl.of(service.app().bean("providerSandbox", ProviderSandbox.class));
        events = service.events();
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
    }

    @Test
    void should_move_the_number_once_the_sandbox_announces_the_acceptance() {
        meta.addSourceNumber("4000000101", "1", "6505590101", "Acme sandbox webhook");
        service.commands().send("16505590101", """
                {"commandId":"start-m-sbx-wh","type":"StartMigration","migrationId":"m-sbx-wh","flow":"META_MPS",
                 "phoneNumber":{"countryCode":"1","number":"6505590101"},
                 "meta":{"sourceWabaId":"4000000101","businessPortfolioId":"884000000101",
                         "displayPhoneNumber":"+1 6505590101","verifiedName":"Acme sandbox webhook","pin":"123456"}}""");
        String intentId = events.awaitType("m-sbx-wh", EventTypes.AWAITING_INPUT).at("/data/result/intentId").asText();

        meta.accept(intentId);

        events.await(e -> EventTypes.COMPLETED.equals(e.path("type").asText())
                && "m-sbx-wh".equals(e.at("/data/migrationId").asText()), Duration.ofSeconds(10));
        assertThat(meta.calls(Ops.GET_INTENT, intentId)).isEqualTo(2);
    }
}
