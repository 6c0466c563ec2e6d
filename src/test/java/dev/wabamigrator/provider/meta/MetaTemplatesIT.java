package dev.wabamigrator.provider.meta;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.sandbox.MetaSandbox.Fault;
import dev.wabamigrator.sandbox.MetaSandbox.Ops;
import dev.wabamigrator.sandbox.MetaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.SandboxedService;
import dev.wabamigrator.support.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The templates step of META_CLASSIC through Kafka against the Graph sandbox: over 500 eligible templates migrated
 * in batches that halve when a call times out (read back, nothing created twice), failed ids sent once more, and
 * template problems (other business, a list that cannot be read) reported while the migration completes. Every test
 * has its own WABAs and number.
 */
class MetaTemplatesIT {
    private static final String TEMPLATES_MIGRATED = "waba.migration.templates.migrated";

    private static SandboxedService service;
    private static Commands commands;
    private static Events events;
    private static MetaSandboxControl meta;

    record Sample(String id, String source, String destination, String national, String phone) {
        static Sample of(String id, int n) {
            String national = "1191000" + String.format("%04d", 3000 + n);
            return new Sample(id, "71" + (4000 + n), "72" + (4000 + n), national, "55" + national);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        service = SandboxedService.start(TestDatabase.h2(), Map.of(
                "app.provider.meta.acceptance.initial-interval-ms", "50",
                "app.provider.meta.acceptance.max-interval-ms", "200"));
        commands = service.commands();
        events = service.events();
        meta = MetaSandboxControl.of(service.app().bean("providerSandbox", ProviderSandbox.class));
    }

    @AfterAll
    static void stop() throws Exception {
        meta.setTemplateTimeoutAbove(0);
        service.close(); // also holds every event against its schema
    }

    /** Starts a META_CLASSIC migration, gives it its code, and returns its templates report once it completed. */
    private static JsonNode migrate(Sample s) {
        meta.addSourceNumber(s.source, "55", s.national, "Acme BR");
        commands.send(s.phone, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"META_CLASSIC",
                 "phoneNumber":{"countryCode":"55","number":"%s"},
                 "meta":{"sourceWabaId":"%s","destinationWabaId":"%s","displayPhoneNumber":"+55 %s",
                         "verifiedName":"Acme BR","codeMethod":"SMS","language":"pt_BR","pin":"654321"}}"""
                .formatted(s.id, s.id, s.national, s.source, s.destination, s.national));
        JsonNode waiting = events.await(e -> s.id.equals(e.at("/data/migrationId").asText())
                && "VERIFICATION_CODE".equals(e.at("/data/awaiting/kind").asText()));
        String code = meta.verificationCode(waiting.at("/data/result/phoneNumberId").asText()).orElseThrow();
        commands.send(s.phone, """
                {"commandId":"code-%s","type":"SubmitVerificationCode","migrationId":"%s","code":"%s"}"""
                .formatted(s.id, s.id, code));
        events.await(e -> s.id.equals(e.path("subject").asText())
                && "waba.migration.completed".equals(e.path("type").asText()), Duration.ofSeconds(60));
        JsonNode report = events.awaitType(s.id, TEMPLATES_MIGRATED);
        assertThat(MessageSchemas.shared().validateEvent(report)).as("the report against its schema").isEmpty();
        return report.at("/data/report");
    }

    private static List<String> names(JsonNode problems) {
        List<String> names = new ArrayList<>();
        problems.forEach(p -> names.add(p.path("name").asText()));
        return names;
    }

    @Test
    void should_migrate_over_500_templates_halving_the_batch_on_a_timeout_and_retrying_failed_ids_once() {
        Sample s = Sample.of("m-tpl-many", 1);
        meta.addTemplates(s.source, "notice", 1150, Map.of());
        meta.addTemplates(s.source, "flaky", 3, Map.of("fail_times", 1));    // fails once, goes through on the retry
        meta.addTemplates(s.source, "rejected", 2, Map.of("fail_times", 2)); // fails on the retry too
        meta.addTemplates(s.source, "paused", 2, Map.of("status", "PAUSED"));
        meta.addTemplates(s.source, "red", 1, Map.of("quality", "RED"));
        meta.addTemplates(s.destination, "notice", 5, Map.of());             // notice_0..4 are there already
        meta.setTemplateTimeoutAbove(300); // a call naming 500 creates 250, then times out

        JsonNode report;
        try {
            report = migrate(s);
        } finally {
            meta.setTemplateTimeoutAbove(0);
        }

        assertThat(report.path("mode").asText()).isEqualTo("MIGRATE");
        JsonNode counts = report.path("counts");
        assertThat(counts.path("source").asInt()).isEqualTo(1158);
        assertThat(counts.path("eligible").asInt()).isEqualTo(1155);
        assertThat(counts.path("alreadyPresent").asInt()).isEqualTo(5);
        assertThat(counts.path("migrated").asInt()).isEqualTo(1148);
        assertThat(counts.path("failed").asInt()).as(report.toString()).isEqualTo(2);
        assertThat(counts.path("skipped").asInt()).isEqualTo(3);
        assertThat(names(report.path("failed"))).containsExactly("rejected_1153", "rejected_1154");
        assertThat(report.path("failed").get(0).path("reason").asText()).contains("rejected on re-review");
        assertThat(names(report.path("skipped"))).containsExactlyInAnyOrder("paused_1155", "paused_1156", "red_1157");
        // 500 (timed out after 250), then 250, 250, 250, 150, then the 5 failed ids once
        assertThat(meta.calls(Ops.MIGRATE_TEMPLATES, s.destination)).as("migrate calls").isEqualTo(6);
        JsonNode atDestination = meta.templates(s.destination);
        Set<String> keys = new HashSet<>();
        atDestination.forEach(t -> assertThat(keys.add(t.path("name").asText() + "/" + t.path("language").asText()))
                .as("created once: " + t.path("name").asText()).isTrue());
        assertThat(atDestination.size()).isEqualTo(5 + 1148);
    }

    @Test
    void should_complete_and_report_every_template_skipped_when_the_wabas_belong_to_different_businesses() {
        Sample s = Sample.of("m-tpl-business", 2);
        meta.addTemplates(s.source, "welcome", 3, Map.of());
        meta.setBusiness(s.destination, "another-business");

        JsonNode report = migrate(s);

        assertThat(report.at("/counts/eligible").asInt()).isEqualTo(3);
        assertThat(report.at("/counts/migrated").asInt()).isZero();
        assertThat(report.at("/counts/skipped").asInt()).isEqualTo(3);
        assertThat(report.path("skipped").get(0).path("reason").asText()).contains("same business");
        assertThat(meta.calls(Ops.MIGRATE_TEMPLATES, s.destination)).as("migrate calls").isEqualTo(1);
        assertThat(meta.templates(s.destination)).isEmpty();
    }

    @Test
    void should_complete_with_the_reason_when_the_source_templates_cannot_be_listed() {
        Sample s = Sample.of("m-tpl-unlisted", 3);
        meta.addTemplates(s.source, "welcome", 3, Map.of());
        meta.failBeforeEffect(Ops.LIST_TEMPLATES, s.source, Fault.HTML_503, 20);

        JsonNode report = migrate(s);

        assertThat(report.path("listed").asBoolean()).isFalse();
        assertThat(report.path("note").asText()).contains("the source's templates could not be listed");
        assertThat(report.at("/counts/migrated").asInt()).isZero();
        assertThat(meta.calls(Ops.MIGRATE_TEMPLATES, s.destination)).as("migrate calls").isZero();
    }

    @Test
    void should_only_compare_in_meta_mps_where_meta_duplicates_the_templates_itself() {
        String id = "m-tpl-mps";
        String source = "1000004101";
        String national = "6505554101";
        meta.addTemplates(source, "welcome", 4, Map.of());                    // duplicated by Meta on acceptance
        meta.addTemplates(source, "fresh", 2, Map.of("quality", "UNKNOWN"));  // eligible, but Meta copies GREEN only
        meta.addTemplates(source, "yellow", 1, Map.of("quality", "YELLOW"));
        meta.addSourceNumber(source, "1", national, "Acme MPS");
        commands.send("1" + national, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"META_MPS",
                 "phoneNumber":{"countryCode":"1","number":"%s"},
                 "meta":{"sourceWabaId":"%s","businessPortfolioId":"77%s0000","displayPhoneNumber":"+1 %s",
                         "verifiedName":"Acme MPS","pin":"123456"}}"""
                .formatted(id, id, national, source, source, national));

        events.awaitType(id, "waba.migration.completed");
        JsonNode event = events.awaitType(id, TEMPLATES_MIGRATED);

        assertThat(MessageSchemas.shared().validateEvent(event)).isEmpty();
        JsonNode report = event.at("/data/report");
        assertThat(report.path("mode").asText()).isEqualTo("REPORT_ONLY");
        assertThat(report.at("/counts/eligible").asInt()).isEqualTo(6);
        assertThat(report.at("/counts/alreadyPresent").asInt()).isEqualTo(4);
        assertThat(report.at("/counts/migrated").asInt()).isZero();
        assertThat(names(report.path("failed"))).containsExactly("fresh_4", "fresh_5");
        assertThat(names(report.path("skipped"))).containsExactly("yellow_6");
        assertThat(meta.calls(Ops.MIGRATE_TEMPLATES, report.path("destinationWabaId").asText()))
                .as("no migrate call in META_MPS").isZero();
    }
}
