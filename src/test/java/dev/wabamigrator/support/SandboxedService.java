package dev.wabamigrator.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import java.util.Map;

/**
 * The service on its built-in provider sandbox, with an upstream producer and a downstream consumer. Closing it
 * holds every event it published against the contract's schemas, then stops everything.
 */
public final class SandboxedService implements AutoCloseable {
    private final TestApp app;
    private final Commands commands;
    private final Events events;

    private SandboxedService(TestApp app, Commands commands, Events events) {
        this.app = app;
        this.commands = commands;
        this.events = events;
    }

    /** Starts with the test defaults, the sandbox on, short parked retries, and these extra properties. */
    public static SandboxedService start(TestDatabase database, Map<String, String> extra) throws Exception {
        Map<String, String> properties = TestApp.defaults(database, TestApp.uniqueSuffix(), null);
        properties.put("app.sandbox.enabled", "true");
        properties.put("app.retry.park.initial-delay-ms", "100");
        properties.put("app.retry.park.max-delay-ms", "200");
        properties.putAll(extra);
        TestApp app = TestApp.start(properties);
        return new SandboxedService(app,
                new Commands(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.commands")),
                new Events(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.events")));
    }

    public TestApp app() {
        return app;
    }

    public Commands commands() {
        return commands;
    }

    public Events events() {
        return events;
    }

    @Override
    public void close() throws Exception {
        try {
            assertThat(events.all()).allSatisfy(event ->
                    assertThat(MessageSchemas.shared().validateEvent(event)).as(event.toString()).isEmpty());
        } finally {
            events.close();
            commands.close();
            app.close();
        }
    }
}
