package dev.wabamigrator.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.sandbox.AlibabaSandbox;
import dev.wabamigrator.support.KafkaClients;
import dev.wabamigrator.support.SandboxedService;
import dev.wabamigrator.support.TestDatabase;
import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.kafka.CloudEventDeserializer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The events topic as a downstream consumer reads it with the CloudEvents SDK's Kafka deserializer (protocol
 * binding: a record with {@code content-type: application/cloudevents+json} is structured mode, anything else binary
 * mode). Every event a real run of the service recorded must come out of it whole: its id, type and subject.
 */
class CloudEventsConsumerIT {
    private static final String CUSTOMER_SPACE = """
            "alibaba":{"custSpaceId":"cams-test","verifyMethod":"sms","locale":"en_US"}""";

    /** One outbox row: the event as the service recorded it. */
    private record Recorded(String type, String migrationId) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void should_let_a_cloudevents_kafka_consumer_read_every_event_of_a_migration_run(String kind) throws Exception {
        TestDatabase database = TestDatabase.of(kind);
        try (SandboxedService service = SandboxedService.start(database, Map.of())) {
            AlibabaSandbox cams = service.app().bean("alibabaSandbox", AlibabaSandbox.class);
            // code sent and submitted; already verified; throttled once per operation; denied, then cancelled;
            // and a command for a migration that does not exist
            String happy = start(service, "m-ce-happy", "13900001234");
            start(service, "m-ce-verified", "13900000001");
            String throttled = start(service, "m-ce-throttled", "13900000002");
            String denied = start(service, "m-ce-denied", "13900000003");
            for (String[] waiting : new String[][] {{happy, "m-ce-happy"}, {throttled, "m-ce-throttled"}}) {
                service.events().await(e -> waiting[1].equals(e.at("/data/migrationId").asText())
                        && "VERIFICATION_CODE".equals(e.at("/data/awaiting/kind").asText()));
                service.commands().send(waiting[0], """
                        {"commandId":"code-%s","type":"SubmitVerificationCode","migrationId":"%s","code":"%s"}"""
                        .formatted(waiting[1], waiting[1], cams.code(waiting[0]).orElseThrow()));
            }
            service.events().await(e -> "m-ce-denied".equals(e.at("/data/migrationId").asText())
                    && "HUMAN_ACTION".equals(e.at("/data/awaiting/kind").asText()));
            service.commands().send(denied, """
                    {"commandId":"cancel-m-ce-denied","type":"CancelMigration","migrationId":"m-ce-denied"}""");
            service.commands().send("8613900009999", """
                    {"commandId":"resume-m-ce-nobody","type":"ResumeMigration","migrationId":"m-ce-nobody"}""");
            for (String id : List.of("m-ce-happy", "m-ce-verified", "m-ce-throttled")) {
                service.events().awaitType(id, EventTypes.COMPLETED);
                service.events().awaitType(id, EventTypes.TEMPLATES_MIGRATED); // trails the completion
            }
            service.events().awaitType("m-ce-denied", EventTypes.CANCELLED);
            service.events().awaitRejection("resume-m-ce-nobody");
            await("every recorded event published").atMost(Duration.ofSeconds(30))
                    .until(() -> unpublished(database) == 0);
            Map<String, Recorded> recorded = recorded(database);

            Map<String, ConsumerRecord<String, CloudEvent>> read = readAsCloudEvents(
                    service.app().property("app.kafka.brokers"), service.app().property("app.kafka.topic.events"),
                    recorded.size());

            System.out.printf("CLOUDEVENTS [%s] %d events recorded, %d read by the SDK's Kafka deserializer%n",
                    kind, recorded.size(), read.size());
            assertThat(read.keySet()).as("ids of the events read").containsExactlyInAnyOrderElementsOf(recorded.keySet());
            assertThat(recorded.values()).extracting(Recorded::type).as("event types of the run")
                    .containsAll(List.of(EventTypes.ACCEPTED, EventTypes.STEP_SUCCEEDED,
                            EventTypes.STEP_RETRY_SCHEDULED, EventTypes.AWAITING_INPUT, EventTypes.COMPLETED,
                            EventTypes.CANCELLED, EventTypes.COMMAND_REJECTED));
            for (Map.Entry<String, ConsumerRecord<String, CloudEvent>> entry : read.entrySet()) {
                CloudEvent event = entry.getValue().value();
                Recorded expected = recorded.get(entry.getKey());
                assertThat(event.getSpecVersion()).isEqualTo(SpecVersion.V1);
                assertThat(event.getType()).as("type of %s", entry.getKey()).isEqualTo(expected.type());
                assertThat(event.getSubject()).as("subject of %s", entry.getKey()).isEqualTo(expected.migrationId());
                assertThat(event.getSource()).isEqualTo(URI.create("urn:waba-migrator"));
                assertThat(event.getDataContentType()).isEqualTo("application/json");
                JsonNode data = KafkaClients.parse(event.getData().toBytes());
                assertThat(data.path("migrationId").asText()).isEqualTo(expected.migrationId());
            }
        }
    }

    private static String start(SandboxedService service, String migrationId, String number) {
        service.commands().send("86" + number, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"ALIBABA_CHATAPP",
                 "phoneNumber":{"countryCode":"86","number":"%s"},%s}"""
                .formatted(migrationId, migrationId, number, CUSTOMER_SPACE));
        return "86" + number;
    }

    /** Reads the topic from the start with the SDK's deserializer until every id was read; by event id. */
    private static Map<String, ConsumerRecord<String, CloudEvent>> readAsCloudEvents(String brokers, String topic,
                                                                                  int events) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "cloudevents-reader-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, CloudEventDeserializer.class);
        Map<String, ConsumerRecord<String, CloudEvent>> read = new LinkedHashMap<>();
        List<String> notStructured = new ArrayList<>();
        try (KafkaConsumer<String, CloudEvent> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(topic));
            await("every event read as a CloudEvent").atMost(Duration.ofSeconds(30)).pollInSameThread()
                    .until(() -> {
                        for (ConsumerRecord<String, CloudEvent> record : consumer.poll(Duration.ofMillis(200))) {
                            var header = record.headers().lastHeader("content-type");
                            if (header == null || !"application/cloudevents+json".equals(
                                    new String(header.value(), StandardCharsets.UTF_8))) {
                                notStructured.add(record.value() == null ? "?" : record.value().getId());
                            }
                            read.put(record.value().getId(), record);
                        }
                        return read.size() >= events;
                    });
        }
        assertThat(notStructured).as("events without content-type: application/cloudevents+json").isEmpty();
        return read;
    }

    private static int unpublished(TestDatabase database) throws Exception {
        return database.count("SELECT COUNT(*) FROM outbox_event WHERE published_at IS NULL");
    }

    private static Map<String, Recorded> recorded(TestDatabase database) throws Exception {
        Map<String, Recorded> recorded = new LinkedHashMap<>();
        try (Connection connection = database.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT event_id, event_type, payload FROM outbox_event ORDER BY seq")) {
            while (rows.next()) {
                JsonNode payload = KafkaClients.parse(rows.getString("payload").getBytes(StandardCharsets.UTF_8));
                recorded.put(rows.getString("event_id"), new Recorded(rows.getString("event_type"),
                        payload.at("/data/migrationId").asText()));
            }
        }
        return recorded;
    }
}
