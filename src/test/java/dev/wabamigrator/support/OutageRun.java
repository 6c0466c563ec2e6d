package dev.wabamigrator.support;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.provider.alibaba.CamsOperation;
import dev.wabamigrator.sandbox.AlibabaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * ALIBABA_CHATAPP migrations through the real service (in this JVM, on its built-in cams sandbox with latency),
 * with a readiness probe on the management port, an upstream producer, a downstream events reader and a customer
 * who submits the code the sandbox sent. After the run, {@link #verify} holds what the outage tests require: every
 * migration completed, every recorded event on the topic (duplicates only as exact re-publications), and each
 * non-idempotent cams call made once per number.
 */
public final class OutageRun implements AutoCloseable {
    public static final String COMPLETED = "waba.migration.completed";
    public static final String TEMPLATES = "waba.migration.templates.migrated";
    public static final String FAILED = "waba.migration.failed";
    public static final String AWAITING = "waba.migration.awaiting-input";
    /** The ALIBABA_CHATAPP calls that are not safe to repeat (provider-apis.md, design.md §3 rule 2). */
    public static final List<CamsOperation> NON_IDEMPOTENT = List.of(CamsOperation.GET_MIGRATION_VERIFY_CODE,
            CamsOperation.CHATAPP_MIGRATION_REGISTER);
    private static final List<String> STEPS = List.of("initiate", "check-verification", "request-code", "await-code",
            "verify", "register");

    private final TestDatabase database;
    private final TestApp app;
    private final AlibabaSandboxControl cams;
    private final Commands commands;
    private final Events events;
    private final ReadinessProbe readiness;
    private final Map<String, String> phones = new LinkedHashMap<>(); // migrationId -> phone
    private final Set<String> answeredWaits = new HashSet<>();
    private final Map<String, Long> completedAt = new HashMap<>();
    private boolean answering = true;

    /**
     * Starts the service with the test defaults plus these properties, the sandbox on and health served, probed
     * every {@code probePeriod} (short enough to see an outage of a few hundred milliseconds).
     */
    public OutageRun(TestDatabase database, Map<String, String> extra, Duration camsLatency, Duration probePeriod)
            throws Exception {
        this.database = database;
        Map<String, String> p = TestApp.defaults(database, TestApp.uniqueSuffix(), null);
        int managementPort = TestApp.freePort();
        p.put("camel.management.enabled", "true");
        p.put("app.management.port", Integer.toString(managementPort));
        p.put("app.sandbox.enabled", "true");
        p.put("app.sandbox.latency-ms", Long.toString(camsLatency.toMillis()));
        p.put("app.sandbox.alibaba.max-requests-per-second", "0"); // these tests are about outages, not cams's limit
        p.put("app.provider.alibaba.max-calls-per-second", "200");
        p.put("app.retry.park.initial-delay-ms", "200");
        p.put("app.retry.park.max-delay-ms", "1000");
        // a code request cut off by the outage may never have reached cams: the wait asks for a new one by itself
        p.put("app.code-wait.quiet-period-ms", "3000");
        p.putAll(extra);
        this.app = TestApp.start(p);
        this.cams = AlibabaSandboxControl.of(app.bean("providerSandbox", ProviderSandbox.class));
        this.commands = new Commands(p.get("app.kafka.brokers"), p.get("app.kafka.topic.commands"));
        this.events = new Events(p.get("app.kafka.brokers"), p.get("app.kafka.topic.events"));
        this.readiness = new ReadinessProbe(managementPort, probePeriod, Duration.ofSeconds(3));
    }

    public TestApp app() {
        return app;
    }

    public ReadinessProbe readiness() {
        return readiness;
    }

    public Events events() {
        return events;
    }

    /** Sends StartMigration for a number with no scripted sandbox behaviour. */
    public void start(int i) {
        String migrationId = "outage-" + i;
        String number = "1370" + (2_000_000 + i * 10 + 8); // last digit 8: never a scripted pattern (0001..0009)
        String phone = "86" + number;
        phones.put(migrationId, phone);
        commands.send(phone, """
                {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"ALIBABA_CHATAPP",
                 "phoneNumber":{"countryCode":"86","number":"%s"},
                 "alibaba":{"custSpaceId":"cams-outage","verifyMethod":"sms","locale":"en_US"}}"""
                .formatted(migrationId, migrationId, number));
    }

    public int started() {
        return phones.size();
    }

    /** Whether the customer answers code waits (not while the commands topic cannot take them). */
    public void answering(boolean answering) {
        this.answering = answering;
    }

    /** The customer: each code wait seen on the events topic gets the code the sandbox sent to the number. */
    public void answerCodes() {
        if (!answering) {
            return;
        }
        for (JsonNode event : events.ofType(AWAITING)) {
            String eventId = event.path("id").asText();
            if (!"VERIFICATION_CODE".equals(event.at("/data/awaiting/kind").asText()) || answeredWaits.contains(eventId)) {
                continue;
            }
            String migrationId = event.at("/data/migrationId").asText();
            String phone = phones.get(migrationId);
            var sent = cams.code(phone);
            if (sent.isEmpty()) {
                continue; // "a code may have been sent": none came, so the wait asks for a new one after its quiet period
            }
            String code = sent.get();
            commands.send(phone, """
                    {"commandId":"code-%s","type":"SubmitVerificationCode","migrationId":"%s","code":"%s"}"""
                    .formatted(eventId, migrationId, code));
            answeredWaits.add(eventId);
        }
    }

    /**
     * Waits for the condition, polling every {@code poll} and answering code waits on the way; on time-out the
     * failure tells the readiness timeline and where the migrations are.
     */
    public void await(String what, Duration atMost, Duration poll, Callable<Boolean> condition) throws Exception {
        try {
            Awaitility.await(what).atMost(atMost).pollInterval(poll).until(() -> {
                answerCodes();
                return condition.call();
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "\n  " + readiness + "\n  completed " + completed().size() + "/"
                    + phones.size() + ", rows " + statesInDatabase(), e);
        }
    }

    /** Ids of the migrations whose completed event is on the topic; notes when each was first seen. */
    public Set<String> completed() {
        Set<String> ids = events.ofType(COMPLETED).stream().map(e -> e.at("/data/migrationId").asText())
                .collect(Collectors.toSet());
        long now = System.nanoTime();
        ids.forEach(id -> completedAt.putIfAbsent(id, now));
        return ids;
    }

    public boolean allCompleted() {
        return completed().containsAll(phones.keySet());
    }

    /** When the last migration was first seen completed (nanoTime). */
    public long lastCompletedAt() {
        return completedAt.values().stream().mapToLong(Long::longValue).max().orElseThrow();
    }

    /** Migration rows by state, as the database has them now. */
    public Map<String, Integer> statesInDatabase() throws Exception {
        Map<String, Integer> states = new java.util.TreeMap<>();
        try (Connection connection = database.connect(); Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT state, step FROM migration")) {
            while (rs.next()) {
                String state = rs.getString(1);
                states.merge("RUNNING".equals(state) ? state + "/" + rs.getString(2) : state, 1, Integer::sum);
            }
        }
        return states;
    }

    /** The figures {@link #verify} measured. */
    public record Figures(int started, int completed, int eventsExpected, int eventsSeen, int distinctSeen,
                          int duplicates, int maxNonIdempotentCallsPerNumber) {
        @Override
        public String toString() {
            return ("migrations started/completed=%d/%d | events expected (outbox rows)=%d, seen=%d (distinct %d), "
                    + "duplicates=%d (all exact re-publications) | non-idempotent cams calls per number (max)=%d")
                    .formatted(started, completed, eventsExpected, eventsSeen, distinctSeen, duplicates,
                            maxNonIdempotentCallsPerNumber);
        }
    }

    /** Everything the outage must not have broken; returns the figures, or throws AssertionError. */
    public Figures verify() throws Exception {
        List<String> problems = new ArrayList<>();
        Set<String> completed = completed();
        // the templates report trails each completed migration (a poll later): it is part of the story to check
        try {
            Awaitility.await("every completed migration's templates report").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200)).until(() -> events.ofType(TEMPLATES).stream()
                            .map(e -> e.at("/data/migrationId").asText()).collect(Collectors.toSet())
                            .containsAll(completed));
        } catch (ConditionTimeoutException e) {
            problems.add("templates reports missing: " + e.getMessage());
        }
        if (!completed.containsAll(phones.keySet())) {
            problems.add("not completed: " + phones.keySet().stream().filter(id -> !completed.contains(id)).toList());
        }
        List<JsonNode> all = events.all();
        // duplicates only as exact re-publications: same id, same payload
        Map<String, JsonNode> byId = new HashMap<>();
        for (JsonNode event : all) {
            JsonNode first = byId.putIfAbsent(event.path("id").asText(), event);
            if (first != null && !first.equals(event)) {
                problems.add("two different events with id " + event.path("id").asText() + ": " + first + " / " + event);
            }
            if (FAILED.equals(event.path("type").asText())) {
                problems.add("a migration failed: " + event);
            }
        }
        all.forEach(e -> MessageSchemas.shared().validateEvent(e)
                .forEach(error -> problems.add("event off its schema: " + error + " in " + e)));
        // no event lost: every event the service recorded reached the topic, and each migration tells its whole story
        Set<String> recorded = new HashSet<>();
        try (Connection connection = database.connect(); Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT event_id, published_at FROM outbox_event")) {
            while (rs.next()) {
                recorded.add(rs.getString(1));
                if (rs.getTimestamp(2) == null) {
                    problems.add("event " + rs.getString(1) + " never marked published");
                }
            }
        }
        Set<String> missing = new HashSet<>(recorded);
        missing.removeAll(byId.keySet());
        if (!missing.isEmpty()) {
            problems.add(missing.size() + " recorded events never reached the topic: " + missing);
        }
        for (String id : phones.keySet()) {
            List<String> story = byId.values().stream().filter(e -> id.equals(e.at("/data/migrationId").asText()))
                    .map(e -> e.path("type").asText().replace("waba.migration.", "")
                            + (e.path("type").asText().endsWith("step.succeeded") ? "/" + e.at("/data/step").asText() : ""))
                    .toList();
            List<String> expected = new ArrayList<>(List.of("accepted", "awaiting-input", "completed", "templates.migrated"));
            STEPS.forEach(step -> expected.add("step.succeeded/" + step));
            if (!story.containsAll(expected)) {
                problems.add(id + " is missing events: has " + story + ", needs " + expected);
            }
            if (story.stream().filter("templates.migrated"::equals).count() > 1) {
                problems.add(id + " has more than one templates report: " + story);
            }
        }
        // no non-idempotent call went out twice
        int max = 0;
        for (String phone : phones.values()) {
            for (CamsOperation operation : NON_IDEMPOTENT) {
                int calls = cams.calls(operation, phone);
                max = Math.max(max, calls);
                if (calls != 1) {
                    problems.add(operation.action() + " called " + calls + "x for " + phone);
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(problems.size() + " problems after the outage:\n  " + String.join("\n  ",
                    problems.subList(0, Math.min(problems.size(), 40))));
        }
        return new Figures(phones.size(), completed.size(), recorded.size(), all.size(), byId.size(),
                all.size() - byId.size(), max);
    }

    @Override
    public void close() throws Exception {
        readiness.close();
        try {
            events.close();
            commands.close();
        } finally {
            app.close();
        }
    }
}
