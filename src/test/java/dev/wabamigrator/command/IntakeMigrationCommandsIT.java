package dev.wabamigrator.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.KafkaClients.TopicLog;
import dev.wabamigrator.support.StepServer;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Intake of the commands topic: every kind of bad input gets a precise rejection (or the dead-letter topic when
 * it cannot even name its command), and the next good command on the same partition is still processed.
 */
class IntakeMigrationCommandsIT {
    private static StepServer provider;
    private static TestApp app;
    private static Commands commands;
    private static Events events;
    private static TopicLog deadLetters;

    @BeforeAll
    static void start() throws Exception {
        provider = new StepServer();
        Map<String, String> properties = TestApp.defaults(TestDatabase.h2(), TestApp.uniqueSuffix(), provider.url());
        properties.put("app.kafka.topic.partitions", "1"); // every record on one partition: a stuck one would block all
        properties.put("app.intake.max-command-bytes", "2048");
        app = TestApp.start(properties);
        String brokers = properties.get("app.kafka.brokers");
        commands = new Commands(brokers, properties.get("app.kafka.topic.commands"));
        events = new Events(brokers, properties.get("app.kafka.topic.events"));
        deadLetters = new TopicLog(brokers, properties.get("app.kafka.topic.commands-dlq"));
    }

    @AfterAll
    static void stop() throws Exception {
        assertThat(events.all()).allSatisfy(event ->
                assertThat(MessageSchemas.shared().validateEvent(event)).as(event.toString()).isEmpty());
        deadLetters.close();
        events.close();
        commands.close();
        app.close();
        provider.close();
    }

    private static String start(String commandId, String migrationId, String number) {
        return """
                {"commandId":"%s","type":"StartMigration","migrationId":"%s","flow":"TEST_STEPS",
                 "phoneNumber":{"countryCode":"44","number":"%s"}}""".formatted(commandId, migrationId, number);
    }

    /** Sends a good command right after the bad one and waits for it: the partition was not blocked. */
    private static void assertNextGoodCommandIsProcessed(String tag) {
        String number = "7700" + Math.abs(tag.hashCode() % 1000000);
        commands.send("44" + number, start("good-after-" + tag, "m-good-after-" + tag, number));
        events.awaitType("m-good-after-" + tag, "waba.migration.accepted");
    }

    @Test
    void should_dead_letter_a_record_that_is_not_json_and_go_on() {
        commands.send("447700000001", "this is { not json");

        ConsumerRecord<String, byte[]> dead = await().atMost(Duration.ofSeconds(30))
                .until(() -> deadLetters.records().stream().filter(r -> "447700000001".equals(r.key())).findFirst(),
                        java.util.Optional::isPresent).get();
        assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("this is { not json");
        assertThat(header(dead, "waba-dlq-reason")).isEqualTo("NOT_JSON");
        assertThat(header(dead, "waba-dlq-message")).startsWith("not JSON");
        assertThat(header(dead, "waba-dlq-topic")).isEqualTo(app.property("app.kafka.topic.commands"));
        assertThat(header(dead, "waba-dlq-offset")).matches("[0-9]+");
        assertNextGoodCommandIsProcessed("not-json");
    }

    @Test
    void should_dead_letter_json_without_a_readable_command_id() {
        commands.send("447700000002", "{\"type\":\"StartMigration\",\"commandId\":42}");

        ConsumerRecord<String, byte[]> dead = await().atMost(Duration.ofSeconds(30))
                .until(() -> deadLetters.records().stream().filter(r -> "447700000002".equals(r.key())).findFirst(),
                        java.util.Optional::isPresent).get();
        assertThat(header(dead, "waba-dlq-reason")).isEqualTo("NO_COMMAND_ID");
        assertNextGoodCommandIsProcessed("no-command-id");
    }

    @Test
    void should_reject_a_schema_violation_with_the_exact_fields() {
        commands.send("44123", """
                {"commandId":"bad-schema","type":"StartMigration","flow":"TEST_STEPS",
                 "phoneNumber":{"countryCode":"44","number":"12a"}}""");

        JsonNode rejected = events.awaitRejection("bad-schema");
        assertThat(rejected.at("/data/reason/code").asText()).isEqualTo("SCHEMA_VIOLATION");
        assertThat(rejected.at("/data/reason/violations").toString()).contains("$.phoneNumber.number");
        assertThat(rejected.at("/data/commandType").asText()).isEqualTo("StartMigration");
        assertNextGoodCommandIsProcessed("schema");
    }

    @Test
    void should_reject_an_unknown_command_type() {
        commands.send("44123", "{\"commandId\":\"bad-type\",\"type\":\"PauseMigration\",\"migrationId\":\"m-x\"}");

        JsonNode rejected = events.awaitRejection("bad-type");
        assertThat(rejected.at("/data/reason/code").asText()).isEqualTo("UNKNOWN_COMMAND_TYPE");
        assertThat(rejected.at("/data/reason/message").asText()).contains("'PauseMigration'");
        assertNextGoodCommandIsProcessed("type");
    }

    @Test
    void should_reject_a_command_for_an_unknown_migration() {
        commands.send("44123", "{\"commandId\":\"bad-id\",\"type\":\"CancelMigration\",\"migrationId\":\"m-nobody\"}");

        JsonNode rejected = events.awaitRejection("bad-id");
        assertThat(rejected.at("/data/reason/code").asText()).isEqualTo("UNKNOWN_MIGRATION");
        assertThat(rejected.at("/data/migrationId").asText()).isEqualTo("m-nobody");
        assertNextGoodCommandIsProcessed("unknown-migration");
    }

    @Test
    void should_reject_an_unknown_flow() {
        commands.send("44123", """
                {"commandId":"bad-flow","type":"StartMigration","flow":"CARRIER_PIGEON",
                 "phoneNumber":{"countryCode":"44","number":"7700123456"}}""");

        JsonNode rejected = events.awaitRejection("bad-flow");
        assertThat(rejected.at("/data/reason/code").asText()).isEqualTo("UNKNOWN_FLOW");
        assertThat(rejected.at("/data/reason/message").asText()).contains("CARRIER_PIGEON");
    }

    @Test
    void should_reject_a_second_active_migration_for_the_same_number() {
        provider.latency(Duration.ZERO);
        provider.script("one", "m-first", 403); // parks the first migration for a person: still active
        commands.send("447700555001", start("first", "m-first", "7700555001"));
        events.await(e -> "m-first".equals(e.at("/data/migrationId").asText())
                && "HUMAN_ACTION".equals(e.at("/data/awaiting/kind").asText()));

        commands.send("447700555001", start("second", "m-second", "7700555001"));

        JsonNode rejected = events.awaitRejection("second");
        assertThat(rejected.at("/data/reason/code").asText()).isEqualTo("ACTIVE_MIGRATION_EXISTS");
        assertThat(rejected.at("/data/reason/message").asText()).contains("m-first");
    }

    @Test
    void should_reject_an_oversized_command() {
        String padding = "x".repeat(3000);
        commands.send("44123", "{\"commandId\":\"too-big\",\"type\":\"CancelMigration\",\"migrationId\":\"m-1\",\"note\":\""
                + padding + "\"}");

        JsonNode rejected = events.awaitRejection("too-big");
        assertThat(rejected.at("/data/reason/code").asText()).isEqualTo("PAYLOAD_TOO_LARGE");
        assertNextGoodCommandIsProcessed("too-big");
    }

    @Test
    void should_apply_a_repeated_command_id_once() {
        String command = start("twice", "m-twice", "7700666001");
        commands.send("447700666001", command);
        commands.send("447700666001", command);
        // a later command on the same partition proves both copies were consumed before we count
        assertNextGoodCommandIsProcessed("twice");
        events.awaitType("m-twice", "waba.migration.completed");

        assertThat(events.forMigration("m-twice")).filteredOn(e -> e.path("type").asText().equals("waba.migration.accepted"))
                .hasSize(1);
        assertThat(events.all()).noneMatch(e -> "twice".equals(e.at("/data/commandId").asText())
                && e.path("type").asText().endsWith("rejected"));
        assertThat(provider.calls("one", "m-twice")).isEqualTo(1);
    }

    @Test
    void should_never_dead_letter_a_good_command() {
        assertNextGoodCommandIsProcessed("clean");

        assertThat(deadLetters.records()).noneMatch(r -> new String(r.value(), StandardCharsets.UTF_8).contains("good-after"));
        assertThat(deadLetters.records()).allSatisfy(r ->
                assertThat(header(r, "waba-dlq-reason")).isIn("NOT_JSON", "NO_COMMAND_ID", "PAYLOAD_TOO_LARGE"));
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
