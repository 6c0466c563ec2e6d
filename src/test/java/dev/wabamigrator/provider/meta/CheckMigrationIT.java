package dev.wabamigrator.provider.meta;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.sandbox.MetaSandbox.Ops;
import dev.wabamigrator.sandbox.MetaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.SandboxedService;
import dev.wabamigrator.support.TestDatabase;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * CheckMigration through Kafka against the sandbox: one waba.migration.preflight.checked event with every check,
 * nothing started, nothing written at the provider, nothing new for a repeated commandId.
 */
class CheckMigrationIT {
    private static final String PREFLIGHT_CHECKED = "waba.migration.preflight.checked";

    private static SandboxedService service;
    private static Commands commands;
    private static Events events;
    private static MetaSandboxControl meta;

    @BeforeAll
    static void start() throws Exception {
        service = SandboxedService.start(TestDatabase.h2(), Map.of());
        commands = service.commands();
        events = service.events();
        meta = MetaSandboxControl.of(service.app().bean("providerSandbox", ProviderSandbox.class));
    }

    @AfterAll
    static void stop() throws Exception {
        service.close(); // also holds every event against its schema
    }

    private static void check(String commandId, String source, String destination, String national) {
        commands.send("55" + national, """
                {"commandId":"%s","type":"CheckMigration","flow":"META_CLASSIC",
                 "phoneNumber":{"countryCode":"55","number":"%s"},
                 "meta":{"sourceWabaId":"%s","destinationWabaId":"%s","displayPhoneNumber":"+55 %s",
                         "verifiedName":"Acme BR","pin":"654321"}}"""
                .formatted(commandId, national, source, destination, national));
    }

    private static JsonNode awaitChecked(String commandId) {
        return events.await(e -> PREFLIGHT_CHECKED.equals(e.path("type").asText())
                && commandId.equals(e.path("subject").asText()));
    }

    private static Map<String, String> statuses(JsonNode event) {
        Map<String, String> out = new LinkedHashMap<>();
        event.at("/data/checks").forEach(c -> out.put(c.path("name").asText(), c.path("status").asText()));
        return out;
    }

    @Test
    void should_report_every_check_in_one_event_and_start_nothing() {
        String source = "6410001";
        String destination = "6420001";
        String national = "11900003001";
        String phone = "55" + national;
        meta.addSourceNumber(source, "55", national, "Acme BR");
        meta.setNumberFacts(phone, Map.of("new_name_status", "PENDING_REVIEW"));
        meta.setWabaFacts(destination, Map.of("payment_method", false, "webhook_subscription", false));

        check("check-1", source, destination, national);

        JsonNode checked = awaitChecked("check-1");
        assertThat(MessageSchemas.shared().validateEvent(checked)).isEmpty();
        assertThat(checked.path("subject").asText()).isEqualTo("check-1");
        assertThat(checked.at("/data/ready").asBoolean()).isFalse();
        assertThat(statuses(checked)).containsExactly(
                Map.entry(MetaPreflight.SOURCE_VERIFICATION, "PASSED"),
                Map.entry(MetaPreflight.SOURCE_REVIEW, "PASSED"),
                Map.entry(MetaPreflight.DISPLAY_NAME, "FAILED"),
                Map.entry(MetaPreflight.TEST_NUMBER, "PASSED"),
                Map.entry(MetaPreflight.BUSINESS_APP, "PASSED"),
                Map.entry(MetaPreflight.DESTINATION_VERIFICATION, "PASSED"),
                Map.entry(MetaPreflight.DESTINATION_REVIEW, "PASSED"),
                Map.entry(MetaPreflight.PAYMENT_METHOD, "FAILED"),
                Map.entry(MetaPreflight.SUBSCRIPTION, "FAILED"),
                Map.entry(MetaPreflight.TWO_STEP, "UNKNOWN"));
        // read-only: not even the subscription a migration's preflight would make
        assertThat(meta.calls(Ops.SUBSCRIBE, destination)).isZero();
        assertThat(meta.calls(Ops.MIGRATE, destination)).isZero();
        assertThat(meta.calls(Ops.GET_WABA, destination)).isEqualTo(1);
        // nothing started: no migration event for the number, and the PIN is nowhere
        List<JsonNode> forNumber = events.all().stream()
                .filter(e -> phone.equals(e.at("/data/phoneNumber/e164").asText())).toList();
        assertThat(forNumber).singleElement().satisfies(e -> assertThat(e.path("type").asText())
                .isEqualTo(PREFLIGHT_CHECKED));
        assertThat(events.all().toString()).doesNotContain("654321");
    }

    @Test
    void should_answer_a_repeated_command_id_once() {
        String national = "11900003002";
        meta.addSourceNumber("6410002", "55", national, "Acme BR");
        check("check-2", "6410002", "6420002", national);
        awaitChecked("check-2");

        check("check-2", "6410002", "6420002", national);
        check("check-3", "6410002", "6420002", national); // after the repeat on the same partition
        JsonNode third = awaitChecked("check-3");

        assertThat(third.at("/data/ready").asBoolean()).isTrue();
        assertThat(events.all()).filteredOn(e -> "check-2".equals(e.path("subject").asText())).hasSize(1);
        assertThat(meta.calls(Ops.GET_WABA, "6410002")).as("the repeat read nothing").isEqualTo(2);
    }

    @Test
    void should_name_the_alibaba_checks_it_cannot_read() {
        commands.send("8613900003003", """
                {"commandId":"check-ali","type":"CheckMigration","flow":"ALIBABA_CHATAPP",
                 "phoneNumber":{"countryCode":"86","number":"13900003003"},"alibaba":{"custSpaceId":"cams-check"}}""");

        JsonNode checked = awaitChecked("check-ali");

        assertThat(checked.at("/data/ready").asBoolean()).isTrue();
        assertThat(statuses(checked).values()).containsOnly("UNKNOWN");
        assertThat(statuses(checked)).containsKey("two-step-verification-off");
    }
}
