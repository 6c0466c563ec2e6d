package dev.wabamigrator.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.event.EventTypes;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.sandbox.MetaSandbox;
import dev.wabamigrator.sandbox.MetaSandbox.Ops;
import dev.wabamigrator.sandbox.MetaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.KafkaTestBroker;
import dev.wabamigrator.support.SandboxedService;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * routes/meta-webhook-apply.camel.yaml end to end: a signed webhook over HTTP, through waba.webhooks.meta.v1, to a
 * META_MPS migration waiting in the sandbox whose intent is polled only every 15 minutes, and to provider notices;
 * on H2 ({@link MetaWebhookApplyTest}) and PostgreSQL ({@link MetaWebhookApplyPostgresIT}).
 */
@org.junit.jupiter.api.TestInstance(org.junit.jupiter.api.TestInstance.Lifecycle.PER_CLASS)
abstract class MetaWebhookApplyContract {
    private final HttpClient HTTP_CLIENT = HttpClient.newHttpClient();

    private TestDatabase database;
    private SandboxedService service;
    private Commands commands;
    private Events events;
    private MetaSandboxControl meta;
    private Admin admin;
    private String url;
    private String topic;
    private String group;

    abstract TestDatabase database();

    @BeforeAll
    void start() throws Exception {
        database = database();
        int port = TestApp.freePort();
        service = SandboxedService.start(database, Map.of("app.webhook.port", String.valueOf(port),
                // the poll alone would look again only after 15 minutes
                "app.provider.meta.acceptance.initial-interval-ms", "900000",
                "app.provider.meta.acceptance.max-interval-ms", "900000"));
        commands = service.commands();
        events = service.events();
        meta = MetaSandboxControl.of(service.app().bean("providerSandbox", ProviderSandbox.class));
        url = "http://127.0.0.1:" + port + "/webhooks/meta";
        topic = service.app().property("app.kafka.topic.webhooks-meta");
        group = service.app().property("app.kafka.consumer-group") + "-webhooks";
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestBroker.bootstrapServers()));
    }

    @AfterAll
    void stop() throws Exception {
        admin.close();
        service.close(); // also holds every event, the notices included, against its schema
    }

    /** Starts a META_MPS migration and waits until it is parked for the customer; returns the intent id. */
    private String startWaiting(String migrationId, String wabaId, String number) {
        meta.addSourceNumber(wabaId, "1", number, "Acme " + migrationId);
        commands.send("1" + number, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"META_MPS",
                 "phoneNumber":{"countryCode":"1","number":"%s"},
                 "meta":{"sourceWabaId":"%s","businessPortfolioId":"%s","displayPhoneNumber":"+1 %s",
                         "verifiedName":"Acme %s","pin":"123456"}}"""
                .formatted(migrationId, migrationId, number, wabaId, "88" + wabaId, number, migrationId));
        return events.awaitType(migrationId, EventTypes.AWAITING_INPUT).at("/data/result/intentId").asText();
    }

    private String partnerAdded(String wabaId, long time) {
        return """
                {"object":"whatsapp_business_account","entry":[{"id":"%s","time":%d,"changes":[{"value":{
                "event":"PARTNER_ADDED","waba_info":{"waba_id":"%s","owner_business_id":"%s"}},"field":"account_update"}]}]}"""
                .formatted(wabaId, time, wabaId, "99" + wabaId);
    }

    private HttpResponse<String> post(String body) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return HTTP_CLIENT.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .header("X-Hub-Signature-256", MetaWebhookReceiver.sign(bytes, MetaSandbox.APP_SECRET))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until the apply route committed every webhook on the topic: each has been applied, or found repeated. */
    private void awaitEveryWebhookApplied() {
        Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20)).until(() -> {
            TopicDescription d = admin.describeTopics(java.util.List.of(topic)).allTopicNames().get().get(topic);
            Map<TopicPartition, OffsetSpec> latest = d.partitions().stream().collect(Collectors.toMap(
                    p -> new TopicPartition(topic, p.partition()), p -> OffsetSpec.latest()));
            var ends = admin.listOffsets(latest).all().get();
            var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            return ends.entrySet().stream().allMatch(e -> e.getValue().offset() == 0
                    || (committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() >= e.getValue().offset()));
        });
    }

    private Instant nextAttemptAt(String migrationId) throws Exception {
        try (Connection c = database.connect();
             PreparedStatement s = c.prepareStatement("SELECT next_attempt_at, claimed_until FROM migration WHERE migration_id = ?")) {
            s.setString(1, migrationId);
            try (ResultSet row = s.executeQuery()) {
                row.next();
                java.time.OffsetDateTime next = row.getObject(1, java.time.OffsetDateTime.class);
                return next == null ? null : next.toInstant();
            }
        }
    }

    private int noticeRows(String migrationId) throws Exception {
        try (Connection c = database.connect();
             PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM outbox_event WHERE event_type = ? AND payload LIKE ?")) {
            s.setString(1, EventTypes.PROVIDER_NOTICE);
            s.setString(2, "%\"migrationId\":\"" + migrationId + "\"%");
            try (ResultSet row = s.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        }
    }

    @Test
    void should_wake_a_waiting_migration_within_a_second_of_the_200() throws Exception {
        String intentId = startWaiting("m-wh-wake", "3000000101", "6505580101");
        assertThat(meta.calls(Ops.GET_INTENT, intentId)).isEqualTo(1);
        meta.accept(intentId); // the customer accepts in Meta Business Suite; Meta tells us with PARTNER_ADDED

        HttpResponse<String> answer = post(partnerAdded("3000000101", Instant.now().getEpochSecond()));
        long answeredAt = System.nanoTime();

        assertThat(answer.statusCode()).isEqualTo(200);
        Awaitility.await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10))
                .until(() -> meta.calls(Ops.GET_INTENT, intentId) == 2);
        System.out.printf("intent polled %d ms after the webhook's 200%n", (System.nanoTime() - answeredAt) / 1_000_000);
        JsonNode completed = events.awaitType("m-wh-wake", EventTypes.COMPLETED);
        assertThat(completed.at("/data/result/destinationWabaId").asText()).isNotEmpty();
    }

    @Test
    void should_wake_a_migration_whose_poll_is_running_once_that_run_ends() throws Exception {
        String intentId = startWaiting("m-wh-running", "3000000404", "6505580404");
        meta.accept(intentId);
        // another instance is running the migration's poll right now (it may have read INITIATED just before the
        // customer accepted, and would park for 15 minutes): its claim lasts two more seconds
        try (Connection c = database.connect(); PreparedStatement s = c.prepareStatement(
                "UPDATE migration SET claim_owner = 'other-instance', claim_token = 'other-run', claimed_until = ? "
                        + "WHERE migration_id = ?")) {
            s.setObject(1, java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(2));
            s.setString(2, "m-wh-running");
            assertThat(s.executeUpdate()).isEqualTo(1);
        }

        assertThat(post(partnerAdded("3000000404", Instant.now().getEpochSecond())).statusCode()).isEqualTo(200);

        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> meta.calls(Ops.GET_INTENT, intentId) == 2);
        events.awaitType("m-wh-running", EventTypes.COMPLETED);
    }

    @Test
    void should_wake_once_for_a_webhook_delivered_twice() throws Exception {
        // 1002: the customer never accepts, so the migration goes back to waiting after each poll
        String intentId = startWaiting("m-wh-twice", "3000000202", "6505581002");
        String webhook = partnerAdded("3000000202", 1739321024L);

        assertThat(post(webhook).statusCode()).isEqualTo(200);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> meta.calls(Ops.GET_INTENT, intentId) == 2);
        // parked again for 15 minutes: a second wake would now make it due at once
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> {
            Instant next = nextAttemptAt("m-wh-twice");
            return next != null && next.isAfter(Instant.now().plus(Duration.ofMinutes(10)));
        });
        assertThat(post(webhook).statusCode()).isEqualTo(200);
        awaitEveryWebhookApplied();

        assertThat(meta.calls(Ops.GET_INTENT, intentId)).isEqualTo(2);
        assertThat(nextAttemptAt("m-wh-twice")).isAfter(Instant.now().plus(Duration.ofMinutes(10)));
    }

    @Test
    void should_publish_one_notice_per_webhook_change_about_a_migrated_number() throws Exception {
        String intentId = startWaiting("m-wh-notice", "3000000303", "6505580303");
        meta.accept(intentId);
        assertThat(post(partnerAdded("3000000303", Instant.now().getEpochSecond())).statusCode()).isEqualTo(200);
        String destination = events.awaitType("m-wh-notice", EventTypes.COMPLETED)
                .at("/data/result/destinationWabaId").asText();
        String nameUpdate = """
                {"object":"whatsapp_business_account","entry":[{"id":"%s","time":1739321024,"changes":[{"value":{
                "display_phone_number":"16505580303","decision":"APPROVED","requested_verified_name":"Acme \uD83C\uDF3F",
                "rejection_reason":null},"field":"phone_number_name_update"}]}]}""".formatted(destination);
        String restriction = """
                {"object":"whatsapp_business_account","entry":[{"id":"%s","time":1739321099,"changes":[{"value":{
                "event":"ACCOUNT_RESTRICTION"},"field":"account_update"}]}]}""".formatted(destination);

        assertThat(post(nameUpdate).statusCode()).isEqualTo(200);
        assertThat(post(nameUpdate).statusCode()).isEqualTo(200); // Meta delivers again
        assertThat(post(restriction).statusCode()).isEqualTo(200);
        awaitEveryWebhookApplied();

        assertThat(noticeRows("m-wh-notice")).isEqualTo(2);
        JsonNode name = events.await(e -> EventTypes.PROVIDER_NOTICE.equals(e.path("type").asText())
                && "m-wh-notice".equals(e.at("/data/migrationId").asText())
                && "phone_number_name_update".equals(e.at("/data/notice/field").asText()));
        JsonNode restricted = events.await(e -> EventTypes.PROVIDER_NOTICE.equals(e.path("type").asText())
                && "m-wh-notice".equals(e.at("/data/migrationId").asText())
                && "account_update".equals(e.at("/data/notice/field").asText()));
        assertThat(MessageSchemas.shared().validateEvent(name)).isEmpty();
        assertThat(MessageSchemas.shared().validateEvent(restricted)).isEmpty();
        assertThat(name.path("subject").asText()).isEqualTo("m-wh-notice");
        assertThat(name.at("/data/notice/decision").asText()).isEqualTo("APPROVED");
        assertThat(name.at("/data/notice/requestedVerifiedName").asText()).isEqualTo("Acme \uD83C\uDF3F");
        assertThat(name.at("/data/notice/wabaId").asText()).isEqualTo(destination);
        assertThat(restricted.at("/data/notice/event").asText()).isEqualTo("ACCOUNT_RESTRICTION");
        assertThat(events.records()).filteredOn(r -> "16505580303".equals(r.key()))
                .filteredOn(r -> new String(r.value(), StandardCharsets.UTF_8).contains(EventTypes.PROVIDER_NOTICE))
                .hasSize(2);
    }
}
