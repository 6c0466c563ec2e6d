package dev.wabamigrator.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.wabamigrator.engine.MigrationScheduler;
import dev.wabamigrator.support.KafkaClients;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.TopicLog;
import dev.wabamigrator.support.StepServer;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two instances of the service on one database: the one holding the outbox lease stops in the middle of a run, the
 * other takes the lease over (a new token) and publishes the rest. Every recorded event reaches the topic, and per
 * number a consumer sees the events first in the order they were recorded.
 */
class OutboxHandoverIT {
    private static final int MIGRATIONS = 60;
    private static final int AFTER_HANDOVER = 10;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T resource) {
        open.add(resource);
        return resource;
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void should_keep_every_numbers_events_in_order_when_the_outbox_lease_changes_hands(String kind) throws Exception {
        TestDatabase database = TestDatabase.of(kind);
        StepServer provider = keep(new StepServer());
        provider.latency(Duration.ofMillis(20));
        Map<String, String> properties = TestApp.defaults(database, TestApp.uniqueSuffix(), provider.url());
        TestApp first = keep(TestApp.start(properties));
        Map<String, String> secondInstance = new LinkedHashMap<>(properties);
        secondInstance.put("app.webhook.port", String.valueOf(TestApp.freePort())); // each instance its own
        TestApp second = keep(TestApp.start(secondInstance));
        String brokers = properties.get("app.kafka.brokers");
        TopicLog topic = keep(new TopicLog(brokers, properties.get("app.kafka.topic.events")));
        Commands commands = keep(new Commands(brokers, properties.get("app.kafka.topic.commands")));

        await("an instance holds the outbox lease").atMost(Duration.ofSeconds(30)).until(() -> lease(database)[0] != null);
        String[] before = lease(database);
        TestApp holder = instanceId(first).equals(before[0]) ? first : second;
        TestApp survivor = holder == first ? second : first;

        for (int i = 0; i < MIGRATIONS; i++) {
            start(commands, i);
        }
        await("a third of the events published").atMost(Duration.ofSeconds(60))
                .until(() -> topic.records().size() >= MIGRATIONS * 5 / 3);
        holder.close(); // mid-run: its unpublished rows and unfinished migrations are left to the survivor
        open.remove(holder);
        // a closing instance finishes its in-flight work, which may be all of it: these events only the survivor
        // can publish, so the lease must change hands
        for (int i = MIGRATIONS; i < MIGRATIONS + AFTER_HANDOVER; i++) {
            start(commands, i);
        }

        await("every migration completed and published").atMost(Duration.ofSeconds(90))
                .until(() -> completed(database) == MIGRATIONS + AFTER_HANDOVER && unpublished(database) == 0);
        String[] after = lease(database);
        assertThat(after[0]).as("lease owner").isEqualTo(instanceId(survivor));
        assertThat(after[1]).as("lease token").isNotEqualTo(before[1]);

        Map<String, List<String>> recorded = recordedByNumber(database);
        await("every recorded event on the topic").atMost(Duration.ofSeconds(30))
                .until(() -> seenCount(topic) >= countOf(recorded));
        List<ConsumerRecord<String, byte[]>> records = List.copyOf(topic.records());
        assertThat(KafkaClients.firstSeenByKey(records)).as("per number, events first seen in recording order").isEqualTo(recorded);
        assertThat(records).allSatisfy(r -> {
            Header header = r.headers().lastHeader("content-type");
            assertThat(header).isNotNull();
            assertThat(new String(header.value(), StandardCharsets.UTF_8)).isEqualTo("application/cloudevents+json");
        });
        System.out.printf("OUTBOX-HANDOVER [%s] N=%d | %d events recorded, %d records on the topic%n", kind,
                MIGRATIONS + AFTER_HANDOVER, countOf(recorded), records.size());
    }

    private static void start(Commands commands, int i) {
        String number = String.valueOf(6_505_570_000L + i);
        commands.send("1" + number, """
                {"commandId":"start-handover-%d","type":"StartMigration","migrationId":"handover-%d",
                 "flow":"TEST_STEPS","phoneNumber":{"countryCode":"1","number":"%s"}}""".formatted(i, i, number));
    }

    private static String instanceId(TestApp app) {
        return app.bean("migrationScheduler", MigrationScheduler.class).instanceId();
    }

    private static int countOf(Map<String, List<String>> byNumber) {
        return byNumber.values().stream().mapToInt(List::size).sum();
    }

    private static int seenCount(TopicLog topic) {
        return countOf(KafkaClients.firstSeenByKey(topic.records()));
    }


    /** Per number, the outbox's event ids in recording order. */
    private static Map<String, List<String>> recordedByNumber(TestDatabase database) throws Exception {
        Map<String, List<String>> recorded = new LinkedHashMap<>();
        try (Connection connection = database.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT kafka_key, event_id FROM outbox_event ORDER BY seq")) {
            while (rows.next()) {
                recorded.computeIfAbsent(rows.getString(1), k -> new ArrayList<>()).add(rows.getString(2));
            }
        }
        return recorded;
    }

    /** Owner and token of the outbox-publisher lease. */
    private static String[] lease(TestDatabase database) throws Exception {
        try (Connection connection = database.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(
                     "SELECT owner, token FROM app_lease WHERE name = 'outbox-publisher'")) {
            rows.next();
            return new String[] {rows.getString(1), rows.getString(2)};
        }
    }

    private static int completed(TestDatabase database) throws Exception {
        return database.count("SELECT COUNT(*) FROM migration WHERE state = 'COMPLETED'");
    }

    private static int unpublished(TestDatabase database) throws Exception {
        return database.count("SELECT COUNT(*) FROM outbox_event WHERE published_at IS NULL");
    }
}
