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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Intake of the commands topic: every kind of bad input gets a precise rejection (or the dead-letter topic when
 * it cannot even name its command), and the next good command on the same partition is still processed.
 */
class IntakeMigrationCommandsIT {
    private static StepServer provider;
    private static TestDatabase database;
    private static TestApp app;
    private static Commands commands;
    private static Events events;
    private static TopicLog deadLetters;

    @BeforeAll
    static void start() throws Exception {
        provider = new StepServer();
        database = TestDatabase.h2();
        Map<String, String> properties = TestApp.defaults(database, TestApp.uniqueSuffix(), provider.url());
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

    private static Map.Entry<String, String> startOf(String tag, int i) {
        String number = "77120" + String.format("%05d", i);
        return Map.entry("44" + number, start(tag + "-" + i, "m-" + tag + "-" + i, number));
    }

    private static List<Map.Entry<String, String>> starts(String tag, int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> startOf(tag, i)).toList();
    }

    private static void assertEachAcceptedOnce(String tag, int from, int to) {
        for (int i = from; i < to; i++) {
            String migrationId = "m-" + tag + "-" + i;
            events.awaitType(migrationId, "waba.migration.accepted");
            assertThat(events.forMigration(migrationId)).as(migrationId)
                    .filteredOn(e -> e.path("type").asText().equals("waba.migration.accepted")).hasSize(1);
        }
    }

    @Test
    void should_take_a_poll_of_many_commands_each_once_and_in_order() {
        commands.sendTogether(starts("many", 0, 150));

        assertEachAcceptedOnce("many", 0, 150);
        assertThat(events.all()).noneMatch(e -> e.at("/data/commandId").asText().startsWith("many-")
                && e.path("type").asText().endsWith("rejected"));
    }

    @Test
    void should_apply_a_command_id_repeated_inside_one_poll_once() {
        List<Map.Entry<String, String>> poll = new ArrayList<>(starts("dup", 200, 210));
        poll.add(5, startOf("dup", 203)); // the same record again, later in the same poll
        poll.add(startOf("dup", 200));
        commands.sendTogether(poll);

        assertEachAcceptedOnce("dup", 200, 210);
        assertNextGoodCommandIsProcessed("dup-in-poll");
        assertThat(events.all()).noneMatch(e -> e.at("/data/commandId").asText().startsWith("dup-")
                && e.path("type").asText().endsWith("rejected"));
        assertThat(provider.calls("one", "m-dup-203")).isLessThanOrEqualTo(1);
    }

    @Test
    void should_cancel_a_migration_started_in_the_same_poll() {
        List<Map.Entry<String, String>> poll = new ArrayList<>(starts("startcancel", 300, 305));
        Map.Entry<String, String> started = startOf("startcancel", 305);
        poll.add(started);
        poll.add(Map.entry(started.getKey(), """
                {"commandId":"cancel-startcancel-305","type":"CancelMigration","migrationId":"m-startcancel-305",
                 "reason":"changed our mind"}"""));
        // and a start for that number again after its cancel: the number is free once cancelled
        poll.add(Map.entry(started.getKey(), start("startcancel-again", "m-startcancel-again", "7712000305")));
        commands.sendTogether(poll);

        events.awaitType("m-startcancel-305", "waba.migration.cancelled");
        events.awaitType("m-startcancel-again", "waba.migration.accepted");
        assertThat(events.forMigration("m-startcancel-305")).extracting(e -> e.path("type").asText())
                .startsWith("waba.migration.accepted").contains("waba.migration.cancelled");
        assertThat(events.all()).noneMatch(e -> e.path("type").asText().endsWith("rejected")
                && e.at("/data/commandId").asText().contains("startcancel"));
        assertEachAcceptedOnce("startcancel", 300, 305);
    }

    @Test
    void should_dead_letter_a_poison_record_in_the_middle_of_a_poll_and_take_the_others() throws Exception {
        try (var connection = database.connect(); var statement = connection.createStatement()) {
            statement.execute("ALTER TABLE processed_command ADD CONSTRAINT test_refuses_poll_poison CHECK (command_id NOT LIKE 'poll-poison%')");
        }
        List<Map.Entry<String, String>> poll = new ArrayList<>(starts("poisoned", 400, 420));
        // the database refuses it even as a rejection: it spoils the poll's transaction, so the poll goes one by one
        poll.add(10, Map.entry("447712999999", """
                {"commandId":"poll-poison-1","type":"StartMigration","migrationId":"m-poll-poison","flow":"TEST_STEPS",
                 "phoneNumber":{"countryCode":"44","number":"7712999999"},"meta":{"pin":"135791"}}"""));
        poll.add(15, Map.entry("447712999998", "not json at all"));
        commands.sendTogether(poll);

        ConsumerRecord<String, byte[]> dead = awaitDeadLetter("447712999999");
        assertThat(header(dead, "waba-dlq-reason")).isEqualTo("UNSTORABLE_VALUE");
        assertNoSecretIn(dead, "135791");
        assertThat(header(awaitDeadLetter("447712999998"), "waba-dlq-reason")).isEqualTo("NOT_JSON");
        assertEachAcceptedOnce("poisoned", 400, 420);
        assertNextGoodCommandIsProcessed("poisoned-poll");
        assertThat(deadLetters.records()).filteredOn(r -> "447712999999".equals(r.key())).hasSize(1);
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
                assertThat(header(r, "waba-dlq-reason")).isIn("NOT_JSON", "NO_COMMAND_ID", "PAYLOAD_TOO_LARGE",
                        "UNSTORABLE_VALUE"));
    }

    /** A record that must not stop intake: rejected with {@code outcome} as its code, or dead-lettered with it as reason. */
    record Poison(String name, String key, byte[] value, String commandId, String outcome) {
        static Poison rejected(String name, String key, String json, String commandId, String code) {
            return new Poison(name, key, json.getBytes(StandardCharsets.UTF_8), commandId, code);
        }

        static Poison deadLettered(String name, String key, byte[] value, String reason) {
            return new Poison(name, key, value, null, reason);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Poison> poison() {
        String x = "x";
        return Stream.of(
                Poison.rejected("migrationId over 64", "447711000001",
                        "{\"commandId\":\"p-mid\",\"type\":\"CancelMigration\",\"migrationId\":\"m-" + x.repeat(63) + "\"}",
                        "p-mid", "SCHEMA_VIOLATION"),
                Poison.rejected("type over 40", "447711000002",
                        "{\"commandId\":\"p-type\",\"type\":\"" + "T".repeat(1500) + "\",\"migrationId\":\"m-" + x.repeat(200) + "\"}",
                        "p-type", "UNKNOWN_COMMAND_TYPE"),
                Poison.rejected("key over 100", "4".repeat(101), start("p-key", "m-p-key", "7711000003"), "p-key", "INVALID_KEY"),
                Poison.rejected("key with a control character", "44\u00007711", start("p-key-nul", "m-p-key-nul", "7711000004"),
                        "p-key-nul", "INVALID_KEY"),
                Poison.rejected("custSpaceId over 64", "447711000005", """
                        {"commandId":"p-space","type":"StartMigration","flow":"ALIBABA_CHATAPP",
                         "phoneNumber":{"countryCode":"44","number":"7711000005"},"alibaba":{"custSpaceId":"%s"}}"""
                        .formatted("c".repeat(65)), "p-space", "SCHEMA_VIOLATION"),
                Poison.rejected("verifiedName over 200", "447711000006", """
                        {"commandId":"p-name","type":"StartMigration","flow":"META_CLASSIC",
                         "phoneNumber":{"countryCode":"44","number":"7711000006"},
                         "meta":{"destinationWabaId":"1","displayPhoneNumber":"+44 7711","verifiedName":"%s","pin":"123456"}}"""
                        .formatted("n".repeat(201)), "p-name", "SCHEMA_VIOLATION"),
                Poison.rejected("phoneNumber as an array", "447711000007", """
                        {"commandId":"p-array","type":"StartMigration","flow":"TEST_STEPS","phoneNumber":["44","7711000007"]}""",
                        "p-array", "SCHEMA_VIOLATION"),
                Poison.rejected("migrationId as a number", "447711000008",
                        "{\"commandId\":\"p-number\",\"type\":\"ResumeMigration\",\"migrationId\":42}", "p-number", "SCHEMA_VIOLATION"),
                Poison.rejected("meta as a string", "447711000009", """
                        {"commandId":"p-meta","type":"StartMigration","flow":"TEST_STEPS",
                         "phoneNumber":{"countryCode":"44","number":"7711000009"},"meta":"pin=123456"}""", "p-meta", "SCHEMA_VIOLATION"),
                Poison.rejected("U+0000 in a text", "447711000010", """
                        {"commandId":"p-nul","type":"StartMigration","flow":"TEST_STEPS",
                         "phoneNumber":{"countryCode":"44","number":"7711000010"},"note":"a\\u0000b"}""", "p-nul", "SCHEMA_VIOLATION"),
                Poison.rejected("huge reason", "447711000011",
                        "{\"commandId\":\"p-reason\",\"type\":\"CancelMigration\",\"migrationId\":\"m-1\",\"reason\":\""
                                + "r".repeat(1900) + "\"}", "p-reason", "SCHEMA_VIOLATION"),
                Poison.deadLettered("commandId over 100", "447711000012",
                        ("{\"commandId\":\"" + "c".repeat(101) + "\",\"type\":\"CancelMigration\"}").getBytes(StandardCharsets.UTF_8),
                        "NO_COMMAND_ID"),
                Poison.deadLettered("commandId as an object", "447711000013",
                        "{\"commandId\":{\"id\":\"c\"},\"type\":\"CancelMigration\"}".getBytes(StandardCharsets.UTF_8), "NO_COMMAND_ID"),
                Poison.deadLettered("a JSON array", "447711000014", "[{\"commandId\":\"c\"}]".getBytes(StandardCharsets.UTF_8),
                        "NO_COMMAND_ID"),
                Poison.deadLettered("bytes that are not UTF-8", "447711000015",
                        new byte[] {'{', '"', 'c', (byte) 0xC3, (byte) 0x28, (byte) 0xFF, '"', ':', '1', '}'}, "NOT_JSON"),
                Poison.deadLettered("key over 100 on an unreadable record", "5".repeat(150),
                        "not json at all".getBytes(StandardCharsets.UTF_8), "NOT_JSON"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("poison")
    void should_reject_or_dead_letter_poison_and_take_the_next_command(Poison poison) {
        commands.send(poison.key(), poison.value());

        if (poison.commandId() != null) {
            JsonNode rejected = events.awaitRejection(poison.commandId());
            assertThat(rejected.at("/data/reason/code").asText()).isEqualTo(poison.outcome());
            assertThat(rejected.toString().length()).as("a bounded event").isLessThan(8000);
            assertThat(rejected.at("/data/commandType").asText().length()).isLessThanOrEqualTo(130);
            assertThat(rejected.at("/data/migrationId").asText().length()).isLessThanOrEqualTo(130);
        } else {
            ConsumerRecord<String, byte[]> dead = awaitDeadLetter(poison.key());
            assertThat(header(dead, "waba-dlq-reason")).isEqualTo(poison.outcome());
            assertThat(dead.value()).isEqualTo(poison.value());
        }
        assertNextGoodCommandIsProcessed(poison.name().replaceAll("[^A-Za-z0-9]", "-"));
    }

    @Test
    void should_key_the_rejection_of_an_over_long_key_by_the_number() {
        commands.send("9".repeat(300), start("long-key", "m-long-key", "7711000020"));

        events.awaitRejection("long-key");
        ConsumerRecord<String, byte[]> record = events.records().stream()
                .filter(r -> new String(r.value(), StandardCharsets.UTF_8).contains("\"long-key\"")).findFirst().orElseThrow();
        assertThat(record.key()).isEqualTo("447711000020");
    }

    @Test
    void should_take_good_commands_on_other_keys_while_over_long_fields_arrive() {
        long started = System.nanoTime();
        for (int i = 0; i < 6; i++) {
            commands.send("k".repeat(120) + i, start("burst-key-" + i, "m-burst-key-" + i, "77120000" + (10 + i)));
            commands.send("4477120001" + i, "{\"commandId\":\"burst-type-" + i + "\",\"type\":\"" + "T".repeat(60)
                    + "\",\"migrationId\":\"" + "m".repeat(80) + "\"}");
        }
        for (int i = 0; i < 18; i++) {
            commands.send("4477130000" + (10 + i), start("burst-good-" + i, "m-burst-good-" + i, "77130000" + (10 + i)));
        }
        for (int i = 0; i < 18; i++) {
            events.awaitType("m-burst-good-" + i, "waba.migration.accepted");
        }
        System.out.printf("18 good commands after 12 poison records taken in within %d ms%n",
                (System.nanoTime() - started) / 1_000_000);
        assertThat(events.ofType("waba.migration.command.rejected"))
                .filteredOn(e -> e.at("/data/commandId").asText().startsWith("burst-")).hasSize(12);
    }

    @Test
    void should_reject_a_command_whose_values_the_database_refuses() throws Exception {
        // the database itself says no (SQLSTATE 23513/23514), as it would to a value no check in front of it caught
        try (var connection = database.connect(); var statement = connection.createStatement()) {
            statement.execute("ALTER TABLE migration ADD CONSTRAINT test_refuses_params CHECK (params NOT LIKE '%refuse-me%')");
        }
        commands.send("447711000030", """
                {"commandId":"refused-params","type":"StartMigration","migrationId":"m-refused","flow":"TEST_STEPS",
                 "phoneNumber":{"countryCode":"44","number":"7711000030"},"note":"refuse-me"}""");

        JsonNode rejected = events.awaitRejection("refused-params");
        assertThat(rejected.at("/data/reason/code").asText()).isEqualTo("UNSTORABLE_VALUE");
        assertThat(rejected.at("/data/reason/message").asText()).contains("check constraint").contains("SQLSTATE 2351");
        assertNextGoodCommandIsProcessed("refused-params");
        // recorded as rejected: the same commandId again changes nothing and emits nothing
        commands.send("447711000030", "{\"commandId\":\"refused-params\",\"type\":\"ResumeMigration\",\"migrationId\":\"m-x\"}");
        assertNextGoodCommandIsProcessed("refused-params-again");
        assertThat(events.all()).filteredOn(e -> "refused-params".equals(e.at("/data/commandId").asText())).hasSize(1);
    }

    @Test
    void should_dead_letter_without_its_pin_a_command_the_database_refuses_even_as_a_rejection() throws Exception {
        try (var connection = database.connect(); var statement = connection.createStatement()) {
            statement.execute("ALTER TABLE processed_command ADD CONSTRAINT test_refuses_id CHECK (command_id NOT LIKE 'refused-id%')");
        }
        commands.send("447711000031", """
                {"commandId":"refused-id-1","type":"StartMigration","migrationId":"m-refused-id","flow":"TEST_STEPS",
                 "phoneNumber":{"countryCode":"44","number":"7711000031"},"meta":{"pin":"246810"}}""");

        ConsumerRecord<String, byte[]> dead = awaitDeadLetter("447711000031");
        assertThat(header(dead, "waba-dlq-reason")).isEqualTo("UNSTORABLE_VALUE");
        assertThat(header(dead, "waba-dlq-message")).contains("check constraint");
        assertThat(header(dead, "waba-dlq-redacted")).isEqualTo("meta.pin");
        JsonNode copy = dev.wabamigrator.support.KafkaClients.parse(dead.value());
        assertThat(copy.at("/commandId").asText()).isEqualTo("refused-id-1");
        assertThat(copy.at("/meta").has("pin")).isFalse();
        assertNoSecretIn(dead, "246810");
        assertNextGoodCommandIsProcessed("refused-id");
    }

    @Test
    void should_take_secrets_out_of_dead_lettered_records() {
        commands.send("447711000040", """
                {"commandId":7,"type":"SubmitVerificationCode","migrationId":"m-1","code":"482913"}""");
        commands.send("447711000041", """
                {"type":"StartMigration","flow":"META_CLASSIC","meta":{"destinationWabaId":"1","pin":"314159"}}""");
        commands.send("447711000042", "{\"commandId\":\"cut\",\"type\":\"StartMigration\",\"meta\":{\"pin\":\"975310\"");

        ConsumerRecord<String, byte[]> code = awaitDeadLetter("447711000040");
        assertThat(header(code, "waba-dlq-redacted")).isEqualTo("code");
        assertThat(dev.wabamigrator.support.KafkaClients.parse(code.value()).at("/migrationId").asText()).isEqualTo("m-1");
        assertNoSecretIn(code, "482913");

        ConsumerRecord<String, byte[]> pin = awaitDeadLetter("447711000041");
        assertThat(header(pin, "waba-dlq-redacted")).isEqualTo("meta.pin");
        assertThat(dev.wabamigrator.support.KafkaClients.parse(pin.value()).at("/meta/destinationWabaId").asText()).isEqualTo("1");
        assertNoSecretIn(pin, "314159");

        ConsumerRecord<String, byte[]> cut = awaitDeadLetter("447711000042");
        assertThat(header(cut, "waba-dlq-reason")).isEqualTo("NOT_JSON");
        assertThat(header(cut, "waba-dlq-redacted")).isEqualTo("text");
        assertThat(new String(cut.value(), StandardCharsets.UTF_8)).contains("\"commandId\":\"cut\"");
        assertNoSecretIn(cut, "975310");
        assertNextGoodCommandIsProcessed("redacted");
    }

    @Test
    void should_give_dead_letter_reasons_as_readable_strings_on_kafka() {
        commands.send("447711000050", "{\"no\":\"command id\"}");

        ConsumerRecord<String, byte[]> dead = awaitDeadLetter("447711000050");
        // read with a plain Kafka consumer: every waba-dlq-* header is there, as strict UTF-8 text
        for (String name : new String[] {"waba-dlq-reason", "waba-dlq-message", "waba-dlq-topic", "waba-dlq-partition",
                "waba-dlq-offset"}) {
            var header = dead.headers().lastHeader(name);
            assertThat(header).as(name).isNotNull();
            assertThat(strictUtf8(header.value())).as(name).isNotBlank().doesNotContainPattern("\\p{Cntrl}");
        }
        assertThat(header(dead, "waba-dlq-reason")).isEqualTo("NO_COMMAND_ID");
        assertThat(header(dead, "waba-dlq-partition")).isEqualTo("0");
        assertThat(Long.parseLong(header(dead, "waba-dlq-offset"))).isNotNegative();
        assertThat(dead.headers().lastHeader("waba-dlq-redacted")).as("nothing to take out").isNull();
    }

    private static ConsumerRecord<String, byte[]> awaitDeadLetter(String key) {
        return await().atMost(Duration.ofSeconds(30))
                .until(() -> deadLetters.records().stream().filter(r -> key.equals(r.key())).findFirst(),
                        java.util.Optional::isPresent).get();
    }

    private static void assertNoSecretIn(ConsumerRecord<String, byte[]> record, String secret) {
        assertThat(new String(record.value(), StandardCharsets.UTF_8)).doesNotContain(secret);
        record.headers().forEach(h -> assertThat(new String(h.value(), StandardCharsets.UTF_8)).as(h.key()).doesNotContain(secret));
    }

    private static String strictUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new AssertionError("not UTF-8 text", e);
        }
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
