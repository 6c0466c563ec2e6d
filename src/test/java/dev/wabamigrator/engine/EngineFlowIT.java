package dev.wabamigrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.StepServer;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The durable step engine end to end: commands in through Kafka, steps against a fake provider, events out. */
class EngineFlowIT {
    private static final AtomicInteger NUMBERS = new AtomicInteger(5550000);

    private StepServer provider;
    private TestApp app;
    private Commands commands;
    private Events events;

    private void start(String database, Map<String, String> overrides) throws Exception {
        provider = new StepServer();
        Map<String, String> properties = TestApp.defaults(TestDatabase.of(database), TestApp.uniqueSuffix(), provider.url());
        properties.putAll(overrides);
        app = TestApp.start(properties);
        commands = new Commands(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.commands"));
        events = new Events(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.events"));
    }

    @AfterEach
    void stop() throws Exception {
        if (events != null) {
            assertThat(events.all()).allSatisfy(event ->
                    assertThat(new MessageSchemas().validateEvent(event)).as(event.toString()).isEmpty());
            events.close();
        }
        if (commands != null) {
            commands.close();
        }
        if (app != null) {
            app.close();
        }
        if (provider != null) {
            provider.close();
        }
    }

    private String startMigration(String flow, String migrationId) {
        String number = "650" + NUMBERS.incrementAndGet();
        commands.send("1" + number, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"%s",
                 "phoneNumber":{"countryCode":"1","number":"%s"}}""".formatted(migrationId, migrationId, flow, number));
        return "1" + number;
    }

    private void send(String key, String type, String migrationId, String commandId, String extra) {
        commands.send(key, """
                {"commandId":"%s","type":"%s","migrationId":"%s"%s}""".formatted(commandId, type, migrationId, extra));
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void should_run_every_step_and_publish_each_as_a_valid_event_keyed_by_number(String database) throws Exception {
        start(database, Map.of());
        String key = startMigration("TEST_STEPS", "m-happy");

        JsonNode completed = events.awaitType("m-happy", "waba.migration.completed");

        assertThat(events.typesFor("m-happy")).containsExactly("waba.migration.accepted",
                "waba.migration.step.succeeded", "waba.migration.step.succeeded", "waba.migration.step.succeeded",
                "waba.migration.completed");
        assertThat(events.forMigration("m-happy")).extracting(e -> e.path("data").path("step").asText())
                .containsExactly("one", "one", "two", "three", "three");
        assertThat(completed.path("data").path("result").path("twoId").asText()).isEqualTo("two-m-happy");
        assertThat(completed.path("subject").asText()).isEqualTo("m-happy");
        assertThat(events.records()).allSatisfy(r -> assertThat(r.key()).isEqualTo(key));
        assertThat(provider.calls("one", "m-happy") + provider.calls("two", "m-happy") + provider.calls("three", "m-happy"))
                .isEqualTo(3);
    }
}
