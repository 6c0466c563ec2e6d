package dev.wabamigrator.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.StepServer;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What an operator sees: health, Prometheus metrics, Jolokia for Hawtio; and secrets kept out of sight. */
class OperationsIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static StepServer provider;
    private static TestApp app;
    private static Commands commands;
    private static Events events;
    private static TestDatabase database;
    private static int managementPort;
    private static int jolokiaPort;

    @BeforeAll
    static void start() throws Exception {
        provider = new StepServer();
        database = TestDatabase.h2();
        Map<String, String> properties = TestApp.defaults(database, TestApp.uniqueSuffix(), provider.url());
        managementPort = TestApp.freePort();
        jolokiaPort = TestApp.freePort();
        properties.put("camel.management.enabled", "true");
        properties.put("app.management.port", Integer.toString(managementPort));
        properties.put("app.jolokia.enabled", "true");
        properties.put("app.jolokia.port", Integer.toString(jolokiaPort));
        properties.put("app.metrics.refresh-interval-ms", "100");
        app = TestApp.start(properties);
        commands = new Commands(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.commands"));
        events = new Events(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.events"));
        commands.send("4915112345678", """
                {"commandId":"ops-1","type":"StartMigration","migrationId":"m-ops","flow":"TEST_STEPS",
                 "phoneNumber":{"countryCode":"49","number":"15112345678"},
                 "meta":{"pin":"987654","displayPhoneNumber":"+49 151 12345678","verifiedName":"Ops"}}""");
        events.awaitType("m-ops", "waba.migration.completed");
    }

    @AfterAll
    static void stop() throws Exception {
        events.close();
        commands.close();
        app.close();
        provider.close();
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void should_report_ready_with_kafka_and_database_checks() throws Exception {
        HttpResponse<String> readiness = get(managementPort, "/observe/health/ready");

        assertThat(readiness.statusCode()).isEqualTo(200);
        com.fasterxml.jackson.databind.JsonNode health = new com.fasterxml.jackson.databind.ObjectMapper().readTree(readiness.body());
        assertThat(health.path("status").asText()).isEqualTo("UP");
        assertThat(health.path("checks").findValuesAsText("name")).as(readiness.body()).contains("database", "kafka");
        assertThat(health.path("checks")).allSatisfy(check -> assertThat(check.path("status").asText()).isEqualTo("UP"));
    }

    @Test
    void should_expose_engine_and_camel_metrics_for_prometheus() throws Exception {
        org.awaitility.Awaitility.await().until(() -> get(managementPort, "/observe/metrics").body()
                .contains("waba_migrations{flow=\"TEST_STEPS\",state=\"COMPLETED\"} 1.0"));
        String metrics = get(managementPort, "/observe/metrics").body();

        assertThat(metrics).contains("waba_migration_steps_total{flow=\"TEST_STEPS\",outcome=\"Succeeded\",step=\"two\"} 1.0");
        assertThat(metrics).contains("waba_migration_step_duration_seconds_count{flow=\"TEST_STEPS\",step=\"one\"}");
        assertThat(metrics).contains("waba_migrations_finished_total{flow=\"TEST_STEPS\",state=\"COMPLETED\"} 1.0");
        assertThat(metrics).contains("camel_exchanges_total");
    }

    @Test
    void should_serve_jolokia_so_hawtio_can_attach_to_the_camel_mbeans() throws Exception {
        // Hawtio connects with the user admin and the password generated into the data directory
        String password = java.nio.file.Files.readString(app.dataDir().resolve("jolokia.password")).trim();
        HttpResponse<String> search = HTTP.send(HttpRequest.newBuilder(URI.create(
                        "http://localhost:" + jolokiaPort + "/jolokia/search/org.apache.camel:type=routes,*"))
                .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                        ("admin:" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8))).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(search.statusCode()).isEqualTo(200);
        assertThat(search.body()).contains("run-migration").contains("intake-migration-commands");
    }

    @Test
    void should_mask_secrets_wherever_camel_prints_a_message() {
        org.apache.camel.spi.MaskingFormatter mask = app.bean(org.apache.camel.spi.MaskingFormatter.CUSTOM_LOG_MASK_REF,
                org.apache.camel.spi.MaskingFormatter.class);

        String masked = mask.format("{\"commandId\":\"c-9\",\"meta\":{\"pin\":\"987654\"},\"code\":\"123456\","
                + "\"access_token\":\"EAAtoken\",\"VerifyCode\":\"445566\"}");

        assertThat(masked).contains("c-9").doesNotContain("987654").doesNotContain("123456")
                .doesNotContain("EAAtoken").doesNotContain("445566");
    }

    @Test
    void should_keep_the_pin_out_of_events_and_encrypted_at_rest() throws Exception {
        assertThat(events.all().toString()).doesNotContain("987654");
        try (Connection connection = database.connect();
             ResultSet row = connection.createStatement().executeQuery(
                     "SELECT params, secrets FROM migration WHERE migration_id = 'm-ops'")) {
            assertThat(row.next()).isTrue();
            assertThat(row.getString("params")).doesNotContain("987654").contains("Ops");
            assertThat(row.getString("secrets")).startsWith("v2:").doesNotContain("987654");
        }
    }
}
