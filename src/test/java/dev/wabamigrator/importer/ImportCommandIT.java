package dev.wabamigrator.importer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.app.Application;
import dev.wabamigrator.event.EventTypes;
import dev.wabamigrator.sandbox.AlibabaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.ChildJvm;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.SandboxedService;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code import} as a user runs it, in this JVM, against the real broker and a real service on its provider sandbox:
 * a file checked before anything is sent, a batch followed to its end, a re-run, and the exit codes.
 */
class ImportCommandIT {
    private static SandboxedService service;
    private static ImportCommand.Connection connection;
    private static AlibabaSandboxControl cams;
    private static Events events;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        // batch reports every half second instead of every 5 s, so a small batch shows a few of them
        service = SandboxedService.start(TestDatabase.h2(), Map.of("app.progress.poll-interval-ms", "100",
                "app.progress.min-interval-ms", "500"));
        TestApp app = service.app();
        connection = new ImportCommand.Connection(app.property("app.kafka.brokers"),
                app.property("app.kafka.topic.commands"), app.property("app.kafka.topic.events"),
                app.property("app.kafka.consumer-group"));
        cams = AlibabaSandboxControl.of(app.bean("providerSandbox", ProviderSandbox.class));
        events = service.events();
    }

    @AfterAll
    static void stop() throws Exception {
        service.close(); // also holds every event, batch reports included, against its schema
    }

    /** What a person sees, and the exit code. */
    private record Run(int exitCode, String out, String err) {
    }

    private static Run runImport(boolean interactive, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new ImportCommand(connection, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), interactive).run(List.of(args));
        Run run = new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        System.out.println("import " + String.join(" ", args) + " → " + code + "\n" + run.out() + run.err());
        return run;
    }

    private Path csv(String name, String... lines) throws Exception {
        return Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
    }

    private static long commandsOnTopic() {
        Properties p = new Properties();
        p.put("bootstrap.servers", connection.brokers());
        p.put("key.deserializer", StringDeserializer.class.getName());
        p.put("value.deserializer", StringDeserializer.class.getName());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> partitions = consumer.partitionsFor(connection.commandsTopic()).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    @Test
    void should_list_every_invalid_row_with_its_line_and_send_nothing() throws Exception {
        long before = commandsOnTopic();
        Path file = csv("bad.csv",
                "countryCode,number,custSpaceId,verifyMethod",
                "86,13700000001,cams-ok,sms",
                "86,137-0000-0002,cams-ok,sms",       // line 3: not digits
                "86,13700000004,,sms",                 // line 4: no custSpaceId
                "86,13700000005,cams-ok,fax",          // line 5: no such method
                "86,13700000001,cams-ok,sms");         // line 6: the number of line 2 again

        Run run = runImport(false, file.toString(), "--batch", "bad-batch");

        assertThat(run.exitCode()).isEqualTo(ImportCommand.EXIT_USAGE);
        assertThat(run.err())
                .contains("bad.csv: line 3: number: does not match the regex pattern")
                .contains("bad.csv: line 4: custSpaceId: missing")
                .contains("bad.csv: line 5: verifyMethod:")
                .contains("bad.csv: line 6: number 8613700000001 is also on line 2")
                .contains("4 problems in").contains("nothing was sent")
                .doesNotContain("line 2:");
        assertThat(commandsOnTopic()).as("commands on the topic").isEqualTo(before);
    }

    @Test
    void should_import_a_batch_show_its_progress_and_summary_and_send_nothing_twice_when_run_again() throws Exception {
        List<String> numbers = IntStream.rangeClosed(1, 20).mapToObj(i -> "139%04d0001".formatted(i)).toList();
        List<String> lines = new java.util.ArrayList<>(List.of("countryCode,number,custSpaceId,verifyMethod,locale"));
        numbers.forEach(n -> lines.add("86," + n + ",cams-import,sms,en_US"));
        Path file = csv("numbers.csv", lines.toArray(String[]::new));

        Run first = runImport(true, file.toString(), "--batch", "b-happy");

        assertThat(first.exitCode()).as(first.out() + first.err()).isEqualTo(ImportCommand.EXIT_OK);
        assertThat(first.out())
                .contains("20 numbers, flow ALIBABA_CHATAPP, batch b-happy")
                .contains("sent 20 StartMigration commands")
                .contains("\r[")                                   // the progress line, redrawn in place
                .contains("[" + "#".repeat(20) + "] 20/20 | running 0 | completed 20 |")
                .contains("every migration completed or was cancelled")
                .containsPattern("COMPLETED\\s+20\\n")
                .containsPattern("rejected\\s+0\\n");
        // the templates reports trail the completions (their listings are cams calls too): wait for them first
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> events.ofType(EventTypes.TEMPLATES_MIGRATED)
                .stream().filter(e -> "b-happy".equals(e.path("data").path("batchId").asText()))
                .map(e -> e.path("data").path("migrationId").asText()).distinct().count() == 20);
        Map<String, Object> camsCallsAfterFirst = cams.stats();
        long commandsAfterFirst = commandsOnTopic();

        Run again = runImport(false, file.toString(), "--batch", "b-happy");

        assertThat(again.exitCode()).as(again.out() + again.err()).isEqualTo(ImportCommand.EXIT_OK);
        assertThat(again.out())
                .contains("sent 0 StartMigration commands (20 already taken in by the service: not sent again)")
                .doesNotContain("\r")                              // not a terminal: plain lines
                .contains("[" + "#".repeat(20) + "] 20/20 | running 0 | completed 20 |")
                .containsPattern("COMPLETED\\s+20\\n");
        assertThat(commandsOnTopic()).isEqualTo(commandsAfterFirst);
        assertThat(cams.stats().get("calls")).isEqualTo(camsCallsAfterFirst.get("calls"));
        for (String type : List.of(EventTypes.ACCEPTED, EventTypes.COMPLETED)) {
            List<String> ids = events.ofType(type).stream()
                    .filter(e -> "b-happy".equals(e.path("data").path("batchId").asText()))
                    .map(e -> e.path("id").asText()).distinct().toList();
            assertThat(ids).as(type).hasSize(20);
        }
    }

    @Test
    void should_exit_3_when_a_migration_waits_for_a_person_and_1_when_the_service_rejects_a_command() throws Exception {
        // a number ending 0003: cams denies the call (RAM policy), the migration waits for a person
        Path file = csv("denied.csv",
                "countryCode,number,custSpaceId",
                "86,13800010001,cams-import",
                "86,13800020003,cams-import");

        Run waits = runImport(false, file.toString(), "--batch", "b-person");

        assertThat(waits.exitCode()).as(waits.out() + waits.err()).isEqualTo(ImportCommand.EXIT_AWAITING_INPUT);
        assertThat(waits.out())
                .contains("2/2 | running 0 | completed 1 | for a person 1 |")
                .contains("some migrations wait for input (exit code 3)")
                .containsPattern("HUMAN_ACTION\\s+1\\n")
                .containsPattern("COMPLETED\\s+1\\n")
                .containsPattern("8613800020003\\s+b-person-8613800020003\\s+HUMAN_ACTION\\s+\\S+");

        // the same number in another batch: it still has an active migration, so the service refuses the start
        Path again = csv("again.csv", "countryCode,number,custSpaceId", "86,13800020003,cams-import");
        Run rejected = runImport(false, again.toString(), "--batch", "b-again");

        assertThat(rejected.exitCode()).as(rejected.out() + rejected.err())
                .isEqualTo(ImportCommand.EXIT_FAILED_OR_REJECTED);
        assertThat(rejected.out())
                .containsPattern("rejected\\s+1\\n")
                .contains("import-b-again-8613800020003")
                .contains("ACTIVE_MIGRATION_EXISTS");
    }

    @Test
    void should_say_when_no_broker_answers_and_keep_the_log_off_the_terminal(@TempDir Path dataDir) throws Exception {
        Path file = csv("one.csv", "countryCode,number,custSpaceId", "86,13600000001,cams-import");
        Path terminal = dataDir.resolve("terminal.txt");
        int closedPort = TestApp.freePort();
        try (ChildJvm child = ChildJvm.startMain(Application.class,
                List.of("import", file.toString(), "--batch", "b-nobroker"),
                Map.of("KAFKA_BROKERS", "127.0.0.1:" + closedPort, "DATA_DIR", dataDir.toString()), terminal)) {
            assertThat(child.awaitExit(Duration.ofSeconds(60))).isEqualTo(ImportCommand.EXIT_NO_BROKER);
        }
        String shown = Files.readString(terminal);
        assertThat(shown)
                .contains("log: " + dataDir.resolve("logs/import.log"))
                .contains("No Kafka broker answered at 127.0.0.1:" + closedPort)
                .contains("java -jar target/waba-migrator.jar")
                .doesNotContain("WARN").doesNotContain("INFO");
        assertThat(Files.readString(dataDir.resolve("logs/import.log"))).contains("WARN");
    }
}
