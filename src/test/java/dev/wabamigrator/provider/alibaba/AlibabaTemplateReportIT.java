package dev.wabamigrator.provider.alibaba;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.sandbox.AlibabaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.SandboxedService;
import dev.wabamigrator.support.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ALIBABA_CHATAPP's templates report through Kafka against the built-in cams sandbox: it trails the completed event,
 * lists the destination space page by page at ListChatappTemplate's own 5 per second, is shared by the migrations
 * due together into one space, and reports a refused listing instead of failing.
 */
class AlibabaTemplateReportIT {
    private static final String REPORT_ROUTE = "alibaba-template-reports";
    private static final String TEMPLATES = "waba.migration.templates.migrated";
    private static SandboxedService service;
    private static Commands commands;
    private static Events events;
    private static AlibabaSandboxControl cams;

    @BeforeAll
    static void start() throws Exception {
        service = SandboxedService.start(TestDatabase.h2(), Map.of());
        commands = service.commands();
        events = service.events();
        cams = AlibabaSandboxControl.of(service.app().bean("providerSandbox", ProviderSandbox.class));
    }

    @AfterAll
    static void stop() throws Exception {
        service.close(); // also holds every event against its schema
    }

    /** A number verified recently (pattern 0001): initiate, status check, register, no code. */
    private static void start(String migrationId, String number, String space) {
        commands.send("86" + number, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"ALIBABA_CHATAPP",
                 "phoneNumber":{"countryCode":"86","number":"%s"},"alibaba":{"custSpaceId":"%s"}}"""
                .formatted(migrationId, migrationId, number, space));
    }

    private static List<JsonNode> reports(String migrationId) {
        return events.forMigration(migrationId).stream().filter(e -> TEMPLATES.equals(e.path("type").asText())).toList();
    }

    private static CamelContext camel() {
        return service.app().context();
    }

    @Test
    void should_report_the_spaces_templates_over_several_pages_after_the_completed_event() {
        start("m-tpl-one", "13911110001", "cams-tpl-one");

        JsonNode event = events.awaitType("m-tpl-one", TEMPLATES);

        // the migration completes as it always did; the report comes after its completed event
        assertThat(events.typesFor("m-tpl-one")).containsExactly("waba.migration.accepted",
                "waba.migration.step.succeeded", "waba.migration.step.succeeded", "waba.migration.step.succeeded",
                "waba.migration.completed", TEMPLATES);
        assertThat(event.at("/data/state").asText()).isEqualTo("COMPLETED");
        JsonNode report = event.at("/data/report");
        assertThat(report.path("mode").asText()).isEqualTo("SPACE_LISTING");
        assertThat(report.path("custSpaceId").asText()).isEqualTo("cams-tpl-one");
        assertThat(report.path("listed").asBoolean()).isTrue();
        // 23 templates at 20 a page: two pages
        assertThat(cams.listings("cams-tpl-one")).isEqualTo(2);
        assertThat(report.at("/counts/total").asInt()).isEqualTo(23);
        assertThat(report.at("/counts/listed").asInt()).isEqualTo(23);
        assertThat(report.at("/counts/notApproved").asInt()).isEqualTo(6);
        assertThat(report.at("/byAuditStatus/pass").asInt()).isEqualTo(17);
        assertThat(report.at("/byAuditStatus/fail").asInt()).isEqualTo(3);
        assertThat(report.at("/byAuditStatus/auditing").asInt()).isEqualTo(2);
        assertThat(report.at("/byAuditStatus/unaudit").asInt()).isEqualTo(1);
        assertThat(report.path("notApproved")).hasSize(6);
        JsonNode rejected = report.path("notApproved").get(0);
        assertThat(rejected.path("name").asText()).isEqualTo("template_7");
        assertThat(rejected.path("auditStatus").asText()).isEqualTo("fail");
        assertThat(rejected.path("reason").asText()).contains("messaging policy");
        // one report, not one per poll
        Awaitility.await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                .until(() -> reports("m-tpl-one").size() == 1 && cams.listings("cams-tpl-one") == 2);
    }

    @Test
    void should_list_a_space_once_for_the_migrations_due_together_into_it() throws Exception {
        camel().getRouteController().suspendRoute(REPORT_ROUTE);
        List<String> ids = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                ids.add("m-tpl-shared-" + i);
                start("m-tpl-shared-" + i, "139222%d0001".formatted(i), "cams-tpl-shared");
            }
            // the migrations complete while no report is being made: the report is not on their path
            for (String id : ids) {
                events.awaitType(id, "waba.migration.completed");
            }
            assertThat(cams.listings("cams-tpl-shared")).isZero();
        } finally {
            camel().getRouteController().resumeRoute(REPORT_ROUTE);
        }

        for (String id : ids) {
            JsonNode report = events.awaitType(id, TEMPLATES).at("/data/report");
            assertThat(report.path("listed").asBoolean()).isTrue();
            assertThat(report.at("/counts/listed").asInt()).isEqualTo(23);
            assertThat(report.path("migrationsSharingListing").asInt()).isEqualTo(5);
        }
        assertThat(cams.listings("cams-tpl-shared")).as("one listing of two pages for five migrations").isEqualTo(2);
    }

    @Test
    void should_still_report_when_cams_refuses_the_listing() {
        cams.refuseListing("cams-tpl-refused", true);
        start("m-tpl-refused", "13933330001", "cams-tpl-refused");

        JsonNode report = events.awaitType("m-tpl-refused", TEMPLATES).at("/data/report");

        assertThat(report.path("listed").asBoolean()).isFalse();
        assertThat(report.path("note").asText()).contains("Ram.PermissionDeny");
        assertThat(report.at("/counts/listed").asInt()).isZero();
        assertThat(cams.listings("cams-tpl-refused")).as("a refusal is not retried").isEqualTo(1);
        // the migration stays completed: nothing after the report reopens or fails it
        assertThat(events.typesFor("m-tpl-refused")).endsWith("waba.migration.completed", TEMPLATES)
                .doesNotContain("waba.migration.failed", "waba.migration.awaiting-input");
    }

    @Test
    void should_list_at_the_listings_own_five_per_second_without_a_throttle() throws Exception {
        int spaces = 12;
        camel().getRouteController().suspendRoute(REPORT_ROUTE);
        try {
            for (int i = 0; i < spaces; i++) {
                cams.setTemplateCount("cams-tpl-rate-" + i, 5); // one page each
                start("m-tpl-rate-" + i, "13944%02d0001".formatted(i), "cams-tpl-rate-" + i);
            }
            for (int i = 0; i < spaces; i++) {
                events.awaitType("m-tpl-rate-" + i, "waba.migration.completed");
            }
        } finally {
            camel().getRouteController().resumeRoute(REPORT_ROUTE);
        }
        long started = System.nanoTime();
        for (int i = 0; i < spaces; i++) {
            events.awaitType("m-tpl-rate-" + i, TEMPLATES);
        }
        double seconds = (System.nanoTime() - started) / 1e9;

        // twelve listings into twelve spaces: at 4.9 a second they take over two seconds (at the migration
        // operations' 9.8 they would take about one), and cams (5 a second for this operation in any rolling second)
        // throttles none of them
        assertThat(seconds).isGreaterThan((spaces - 2) / 5.0);
        Map<String, Object> stats = cams.stats();
        assertThat(cams.throttledCount("ListChatappTemplate")).as("ListChatappTemplate answers throttled").isZero();
        assertThat(((Map<?, ?>) stats.get("callsByOperation")).get("ListChatappTemplate")).isNotNull();
    }
}
