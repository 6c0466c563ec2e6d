package dev.wabamigrator.support;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What the provider crash tests share: the application as a child JVM on an H2 file database, pointed at a provider
 * sandbox that lives in the test JVM (so it outlives the kill and keeps its call counts), with its topics, a
 * command producer and an events reader; and a customer who answers every code wait with the code the sandbox
 * "sent" (or asks for a new one when none arrived).
 */
public final class ProviderCrashRun implements AutoCloseable {
    public static final String ACCEPTED = "waba.migration.accepted";
    public static final String COMPLETED = "waba.migration.completed";
    public static final String FAILED = "waba.migration.failed";
    public static final String AWAITING = "waba.migration.awaiting-input";

    private final Map<String, String> properties;
    private final TestDatabase database;
    private final Path logDir;
    private final String name;
    private final Commands commands;
    private final Events events;
    private final Set<String> answeredWaits = new HashSet<>();
    private final Map<String, Long> completedAt = new ConcurrentHashMap<>();
    private int resends;
    private ChildJvm app;
    private int runs;

    /**
     * @param providerProperties {@code app.provider.*} pointing at the test's sandbox
     */
    public ProviderCrashRun(String name, Path tmp, Map<String, String> providerProperties) throws Exception {
        this.name = name;
        this.database = TestDatabase.h2File(tmp);
        this.properties = TestApp.defaults(database, TestApp.uniqueSuffix(), null);
        properties.put("app.sandbox.enabled", "false");
        properties.putAll(providerProperties);
        properties.put("app.scheduler.workers", "16");
        properties.put("app.scheduler.lease-ms", "2000"); // the dead instance's claims expire within 2 s
        properties.put("app.scheduler.heartbeat-ms", "500");
        // the killed instance's consumer leaves no goodbye: let the group notice within seconds, not 45 s
        properties.put("camel.component.kafka.session-timeout-ms", "6000");
        properties.put("camel.component.kafka.heartbeat-interval-ms", "1000");
        this.logDir = Path.of("target", "provider-crash");
        String brokers = properties.get("app.kafka.brokers");
        KafkaClients.createTopics(brokers, properties);
        this.events = new Events(brokers, properties.get("app.kafka.topic.events"));
        this.commands = new Commands(brokers, properties.get("app.kafka.topic.commands"));
    }

    public Map<String, String> properties() {
        return properties;
    }

    public Commands commands() {
        return commands;
    }

    public Events events() {
        return events;
    }

    public ChildJvm app() {
        return app;
    }

    /** Starts (or restarts) the application on the same database, topics and consumer group. */
    public ChildJvm start() throws Exception {
        runs++;
        app = ChildJvm.start(properties, logDir.resolve(name + "-" + properties.get("app.kafka.consumer-group")
                + "-run" + runs + ".log"));
        return app;
    }

    /** SIGKILL, then the rows the dead instance left behind. */
    public Map<String, Row> kill() throws Exception {
        app.kill();
        return rows();
    }

    public boolean appDied() {
        return app != null && !app.isAlive();
    }

    public void send(String key, String json) {
        commands.send(key, json);
    }

    /** Ids of the migrations with an event of this type. */
    public Set<String> idsOf(String type) {
        return events.ofType(type).stream().map(e -> e.path("data").path("migrationId").asText())
                .collect(Collectors.toSet());
    }

    /** Notes when each migration was first seen completed (nanoTime), for restart-to-complete figures. */
    public Set<String> completed() {
        Set<String> ids = idsOf(COMPLETED);
        long now = System.nanoTime();
        ids.forEach(id -> completedAt.putIfAbsent(id, now));
        return ids;
    }

    public Long completedAt(String migrationId) {
        return completedAt.get(migrationId);
    }

    /**
     * The customer: every code wait not answered yet gets the code the sandbox sent to the number
     * ({@code codeOf}: event → code, null when none), or a {@code ResendVerificationCode} when no code arrived.
     */
    public void answerCodeWaits(Function<JsonNode, String> codeOf) {
        for (JsonNode event : events.ofType(AWAITING)) {
            if (!"VERIFICATION_CODE".equals(event.at("/data/awaiting/kind").asText())) {
                continue;
            }
            String eventId = event.path("id").asText();
            if (answeredWaits.contains(eventId)) {
                continue;
            }
            String migrationId = event.at("/data/migrationId").asText();
            String key = event.at("/data/phoneNumber/countryCode").asText() + event.at("/data/phoneNumber/number").asText();
            String code = codeOf.apply(event);
            if (code != null) {
                commands.send(key, """
                        {"commandId":"code-%s","type":"SubmitVerificationCode","migrationId":"%s","code":"%s"}"""
                        .formatted(eventId, migrationId, code));
            } else {
                resends++;
                commands.send(key, """
                        {"commandId":"resend-%s","type":"ResendVerificationCode","migrationId":"%s"}"""
                        .formatted(eventId, migrationId));
            }
            answeredWaits.add(eventId);
        }
    }

    /** How many code waits found no code at the provider and asked for a new one. */
    public int resends() {
        return resends;
    }

    /** One migration row as an instance left it. */
    public record Row(String state, String step, String pendingCall, String awaiting) {
    }

    /** Reads the migration rows (the H2 file is free once the child JVM is gone). */
    public Map<String, Row> rows() throws Exception {
        Map<String, Row> rows = new HashMap<>();
        try (Connection connection = database.connect();
             Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery(
                     "SELECT migration_id, state, step, pending_call, awaiting FROM migration")) {
            while (rs.next()) {
                rows.put(rs.getString(1), new Row(rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)));
            }
        }
        return rows;
    }

    /** "state/step" → count, and "pending_call" → count, of these rows: where the kill found them. */
    public static Map<String, Integer> histogram(Map<String, Row> rows, Set<String> ids) {
        Map<String, Integer> out = new TreeMap<>();
        for (String id : ids) {
            Row row = rows.get(id);
            String key = row == null ? "not-taken-in" : row.state().equals("COMPLETED") ? "COMPLETED"
                    : row.state() + "/" + row.step() + (row.pendingCall() != null ? "(call-pending)" : "");
            out.merge(key, 1, Integer::sum);
        }
        return out;
    }

    public List<JsonNode> eventsOf(String migrationId) {
        return events.forMigration(migrationId);
    }

    @Override
    public void close() throws Exception {
        try {
            if (app != null) {
                app.close(); // SIGKILL if still running: never leave a JVM behind, pass or fail
            }
        } finally {
            commands.close();
            events.close();
        }
    }
}
