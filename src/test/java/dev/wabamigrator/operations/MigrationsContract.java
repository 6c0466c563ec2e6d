package dev.wabamigrator.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.support.Closing;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.StepServer;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The step history and the operators' MBean {@code waba-migrator:type=Migrations} against the running service:
 * commands in through Kafka, steps against a fake provider, the MBean called through the platform MBean server and
 * through Jolokia over HTTP; run once per database ({@link MigrationsH2IT}, {@link MigrationsPostgresIT}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class MigrationsContract {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger NUMBERS = new AtomicInteger(7770000);
    private static final String JOLOKIA_PASSWORD = "operators-password-for-this-test";

    private StepServer provider;
    private TestDatabase db;
    private TestApp app;
    private Commands commands;
    private Events events;
    private int jolokiaPort;
    private MBeanServer jmx;
    private ObjectName mbean;

    abstract TestDatabase database();

    @BeforeAll
    void start() throws Exception {
        provider = new StepServer();
        db = database();
        Map<String, String> properties = TestApp.defaults(db, TestApp.uniqueSuffix(), provider.url());
        jolokiaPort = TestApp.freePort();
        properties.put("app.jolokia.enabled", "true");
        properties.put("app.jolokia.port", Integer.toString(jolokiaPort));
        properties.put("app.jolokia.user", "ops-alice");
        properties.put("app.jolokia.password", JOLOKIA_PASSWORD);
        properties.put("app.history.prune-interval-ms", "300");
        app = TestApp.start(properties);
        commands = new Commands(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.commands"));
        events = new Events(properties.get("app.kafka.brokers"), properties.get("app.kafka.topic.events"));
        jmx = ManagementFactory.getPlatformMBeanServer();
        mbean = new ObjectName("waba-migrator:type=Migrations");
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (events != null) {
                assertThat(events.all()).allSatisfy(event ->
                        assertThat(MessageSchemas.shared().validateEvent(event)).as(event.toString()).isEmpty());
            }
        } finally {
            Closing.inOrder(events, commands, app, provider);
        }
    }

    private String startMigration(String flow, String migrationId) {
        return commands.start(flow, migrationId, "650" + NUMBERS.incrementAndGet());
    }

    private JsonNode awaitHumanAction(String migrationId) {
        return events.await(e -> migrationId.equals(e.at("/data/migrationId").asText())
                && "HUMAN_ACTION".equals(e.at("/data/awaiting/kind").asText()));
    }

    private JsonNode call(String operation, Object[] arguments, String[] signature) throws Exception {
        return JSON.readTree((String) jmx.invoke(mbean, operation, arguments, signature));
    }

    private JsonNode show(String migrationId) throws Exception {
        return call("show", new Object[] {migrationId}, new String[] {String.class.getName()});
    }

    private JsonNode resume(String migrationId, String reason) throws Exception {
        return call("resume", new Object[] {migrationId, reason}, strings(2));
    }

    private static String[] strings(int count) {
        String[] signature = new String[count];
        java.util.Arrays.fill(signature, String.class.getName());
        return signature;
    }

    /** An exec through Jolokia over HTTP with the operator's credentials, as Hawtio or a script sends it. */
    private JsonNode jolokiaExec(String operation, Object... arguments) throws Exception {
        String body = JSON.writeValueAsString(Map.of("type", "exec", "mbean", "waba-migrator:type=Migrations",
                "operation", operation, "arguments", arguments));
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + jolokiaPort + "/jolokia"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json")
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        ("ops-alice:" + JOLOKIA_PASSWORD).getBytes(StandardCharsets.UTF_8))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode answer = JSON.readTree(response.body());
        assertThat(answer.path("status").asInt()).as(answer.toString()).isEqualTo(200);
        return JSON.readTree(answer.path("value").asText());
    }

    private List<Map<String, Object>> historyRows(String migrationId) throws Exception {
        try (Connection connection = db.connect();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT kind, step, attempt, outcome, state, error_category, error_code, request_id, command_type, "
                             + "actor, reason, started_at, ended_at FROM step_history WHERE migration_id = ? ORDER BY seq")) {
            select.setString(1, migrationId);
            List<Map<String, Object>> rows = new ArrayList<>();
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    Map<String, Object> values = new java.util.HashMap<>();
                    for (int i = 1; i <= row.getMetaData().getColumnCount(); i++) {
                        values.put(row.getMetaData().getColumnLabel(i).toLowerCase(), row.getObject(i));
                    }
                    rows.add(values);
                }
            }
            return rows;
        }
    }

    private void endedDaysAgo(String migrationId, int days) throws Exception {
        try (Connection connection = db.connect();
             PreparedStatement update = connection.prepareStatement(
                     "UPDATE migration SET updated_at = ? WHERE migration_id = ?")) {
            update.setObject(1, OffsetDateTime.now(ZoneOffset.UTC).minusDays(days));
            update.setString(2, migrationId);
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
    }

    @Test
    void should_record_one_history_row_per_step_attempt_of_a_completed_migration() throws Exception {
        startMigration("TEST_STEPS", "h-done");
        events.awaitType("h-done", "waba.migration.completed");

        List<Map<String, Object>> rows = historyRows("h-done");

        assertThat(rows).extracting(r -> r.get("kind") + " " + r.get("step") + " " + r.get("outcome") + " " + r.get("state"))
                .containsExactly("COMMAND one APPLIED RUNNING", "STEP one SUCCEEDED RUNNING",
                        "STEP two SUCCEEDED RUNNING", "STEP three SUCCEEDED COMPLETED");
        assertThat(rows.get(0).get("command_type")).isEqualTo("StartMigration");
        assertThat(rows.subList(1, 4)).allSatisfy(row -> {
            assertThat(row.get("started_at")).as("a step's start is known").isNotNull();
            assertThat(row.get("ended_at")).isNotNull();
            assertThat(row.get("error_code")).isNull();
        });
    }

    @Test
    void should_record_a_retried_step_with_its_error_and_provider_request_id() throws Exception {
        provider.script("one", "h-throttled", 429, 429, 429, 429);
        startMigration("TEST_STEPS", "h-throttled");
        events.awaitType("h-throttled", "waba.migration.completed");

        List<Map<String, Object>> steps = historyRows("h-throttled").stream()
                .filter(r -> "STEP".equals(r.get("kind")) && "one".equals(r.get("step"))).toList();

        // each answered 429 parks the step once: one row per attempt, numbered in order, the last one succeeding
        assertThat(steps).hasSizeGreaterThan(1);
        for (int attempt = 0; attempt < steps.size() - 1; attempt++) {
            assertThat(steps.get(attempt)).containsEntry("attempt", attempt).containsEntry("outcome", "RETRY_LATER")
                    .containsEntry("error_category", "RATE_LIMITED").containsEntry("error_code", "HTTP_429")
                    .containsEntry("request_id", "trace-429");
        }
        Map<String, Object> last = steps.get(steps.size() - 1);
        assertThat(last).containsEntry("attempt", steps.size() - 1).containsEntry("outcome", "SUCCEEDED");
        assertThat(last.get("error_code")).isNull();
    }

    @Test
    void should_show_the_current_state_and_the_full_timeline() throws Exception {
        provider.script("three", "h-show", 400);
        startMigration("TEST_STEPS", "h-show");
        events.awaitType("h-show", "waba.migration.failed");

        JsonNode shown = show("h-show");

        assertThat(shown.at("/migration/state").asText()).isEqualTo("FAILED");
        assertThat(shown.at("/migration/step").asText()).isEqualTo("three");
        assertThat(shown.at("/migration/lastError/code").asText()).isEqualTo("HTTP_400");
        assertThat(shown.at("/migration/result/twoId").asText()).isEqualTo("two-h-show");
        assertThat(shown.path("timeline")).extracting(e -> e.path("kind").asText() + " " + e.path("step").asText()
                        + " " + e.path("outcome").asText())
                .containsExactly("COMMAND one APPLIED", "STEP one SUCCEEDED", "STEP two SUCCEEDED", "STEP three FAILED");
        JsonNode failedStep = shown.path("timeline").get(3);
        assertThat(failedStep.at("/error/category").asText()).isEqualTo("PERMANENT");
        assertThat(failedStep.at("/error/code").asText()).isEqualTo("HTTP_400");
        assertThat(failedStep.path("startedAt").asText()).isNotEmpty();
        assertThat(show("no-such-migration").path("error").asText()).contains("no migration with id no-such-migration");
    }

    @Test
    void should_resume_a_migration_awaiting_a_person_and_record_who_did_it_and_why() throws Exception {
        String key = startMigration("TEST_STEPS", "h-human");
        provider.script("two", "h-human", 403);
        awaitHumanAction("h-human");

        JsonNode result = resume("h-human", "permission granted by the customer");

        assertThat(result.path("outcome").asText()).isEqualTo("APPLIED");
        assertThat(result.path("user").asText()).isEqualTo(Operator.LOCAL);
        events.awaitType("h-human", "waba.migration.completed");
        JsonNode action = events.awaitType("h-human", "waba.migration.operator-action");
        assertThat(action.at("/data/operator/user").asText()).isEqualTo(Operator.LOCAL);
        assertThat(action.at("/data/reason").asText()).isEqualTo("permission granted by the customer");
        assertThat(action.at("/data/command/type").asText()).isEqualTo("ResumeMigration");
        assertThat(action.at("/data/command/commandId").asText()).isEqualTo(result.path("commandId").asText());
        assertThat(action.at("/data/outcome").asText()).isEqualTo("APPLIED");
        assertThat(events.records()).filteredOn(r -> new String(r.value(), StandardCharsets.UTF_8)
                .contains("waba.migration.operator-action")).allSatisfy(r -> assertThat(r.key()).isNotNull());
        assertThat(events.records()).filteredOn(r -> new String(r.value(), StandardCharsets.UTF_8)
                .contains(result.path("commandId").asText())).extracting(r -> r.key()).containsOnly(key);
        assertThat(historyRows("h-human")).filteredOn(r -> "OPERATOR_ACTION".equals(r.get("kind"))).singleElement()
                .satisfies(row -> assertThat(row).containsEntry("actor", Operator.LOCAL)
                        .containsEntry("reason", "permission granted by the customer")
                        .containsEntry("command_type", "ResumeMigration").containsEntry("outcome", "APPLIED"));
        assertThat(provider.calls("two", "h-human")).isEqualTo(2);
    }

    @Test
    void should_name_the_authenticated_jolokia_user_of_an_action_taken_over_http() throws Exception {
        startMigration("TEST_STEPS", "h-jolokia");
        provider.script("two", "h-jolokia", 403);
        awaitHumanAction("h-jolokia");

        JsonNode result = jolokiaExec("resume", "h-jolokia", "fixed over Hawtio");

        assertThat(result.path("outcome").asText()).isEqualTo("APPLIED");
        assertThat(result.path("user").asText()).isEqualTo("ops-alice");
        events.awaitType("h-jolokia", "waba.migration.completed");
        JsonNode action = events.awaitType("h-jolokia", "waba.migration.operator-action");
        assertThat(action.at("/data/operator/user").asText()).isEqualTo("ops-alice");
        assertThat(jolokiaExec("show", "h-jolokia").path("timeline")).anySatisfy(entry -> {
            assertThat(entry.path("kind").asText()).isEqualTo("OPERATOR_ACTION");
            assertThat(entry.path("user").asText()).isEqualTo("ops-alice");
        });
    }

    @Test
    void should_return_the_rejection_of_an_action_the_migration_cannot_take() throws Exception {
        startMigration("TEST_STEPS", "h-complete");
        events.awaitType("h-complete", "waba.migration.completed");

        JsonNode result = resume("h-complete", "try again");

        assertThat(result.path("outcome").asText()).isEqualTo("REJECTED");
        assertThat(result.at("/rejection/code").asText()).isEqualTo("INVALID_STATE");
        assertThat(result.at("/rejection/message").asText()).contains("only a FAILED migration");
        JsonNode rejected = events.awaitRejection(result.path("commandId").asText());
        assertThat(rejected.at("/data/reason/code").asText()).isEqualTo("INVALID_STATE");
        JsonNode action = events.await(e -> "waba.migration.operator-action".equals(e.path("type").asText())
                && result.path("commandId").asText().equals(e.at("/data/command/commandId").asText()));
        assertThat(action.at("/data/outcome").asText()).isEqualTo("REJECTED");
        assertThat(action.at("/data/rejection/code").asText()).isEqualTo("INVALID_STATE");
        assertThat(show("h-complete").at("/migration/state").asText()).isEqualTo("COMPLETED");
        assertThat(historyRows("h-complete")).filteredOn(r -> "OPERATOR_ACTION".equals(r.get("kind")))
                .extracting(r -> r.get("outcome") + " " + r.get("error_code")).containsExactly("REJECTED INVALID_STATE");
    }

    @Test
    void should_list_only_on_a_dry_run_and_cancel_each_on_a_real_one() throws Exception {
        // TEST_CODE waits for a code at await-code; a cancelAll narrowed to that flow and step meets only these
        startMigration("TEST_CODE", "h-bulk-1");
        startMigration("TEST_CODE", "h-bulk-2");
        for (String id : List.of("h-bulk-1", "h-bulk-2")) {
            events.await(e -> id.equals(e.at("/data/migrationId").asText())
                    && "VERIFICATION_CODE".equals(e.at("/data/awaiting/kind").asText()));
        }
        Object[] dry = {"AWAITING_INPUT", "TEST_CODE", "await-code", "campaign withdrawn", true};
        String[] signature = {String.class.getName(), String.class.getName(), String.class.getName(),
                String.class.getName(), "boolean"};

        JsonNode dryRun = call("cancelAll", dry, signature);

        assertThat(dryRun.path("count").asInt()).isEqualTo(2);
        assertThat(dryRun.path("migrationIds")).extracting(JsonNode::asText).containsExactlyInAnyOrder("h-bulk-1", "h-bulk-2");
        assertThat(show("h-bulk-1").at("/migration/state").asText()).isEqualTo("AWAITING_INPUT");
        assertThat(events.typesFor("h-bulk-1")).doesNotContain("waba.migration.cancelled", "waba.migration.operator-action");

        Object[] real = {"AWAITING_INPUT", "TEST_CODE", "await-code", "campaign withdrawn", false};
        JsonNode done = call("cancelAll", real, signature);

        assertThat(done.path("count").asInt()).isEqualTo(2);
        assertThat(done.path("applied").asInt()).isEqualTo(2);
        assertThat(done.path("results")).extracting(r -> r.path("migrationId").asText() + " " + r.path("outcome").asText())
                .containsExactlyInAnyOrder("h-bulk-1 APPLIED", "h-bulk-2 APPLIED");
        for (String id : List.of("h-bulk-1", "h-bulk-2")) {
            events.awaitType(id, "waba.migration.cancelled");
            assertThat(events.awaitType(id, "waba.migration.operator-action").at("/data/reason").asText())
                    .isEqualTo("campaign withdrawn");
        }
        JsonNode again = call("cancelAll", dry, signature);
        assertThat(again.path("count").asInt()).as("cancelled ones are no longer active").isZero();
    }

    @Test
    void should_list_the_migrations_waiting_for_a_person_apart_from_those_waiting_for_a_code() throws Exception {
        startMigration("TEST_STEPS", "h-stuck");
        provider.script("two", "h-stuck", 403);
        awaitHumanAction("h-stuck");
        startMigration("TEST_CODE", "h-code");
        events.await(e -> "h-code".equals(e.at("/data/migrationId").asText())
                && "VERIFICATION_CODE".equals(e.at("/data/awaiting/kind").asText()));
        String[] signature = {String.class.getName(), String.class.getName(), String.class.getName(), "int"};

        JsonNode forPeople = call("list", new Object[] {"human_action", "", "", 1000}, signature);
        JsonNode waiting = call("list", new Object[] {"AWAITING_INPUT", "", "", 1000}, signature);

        assertThat(forPeople).extracting(line -> line.at("/awaiting/kind").asText()).containsOnly("HUMAN_ACTION");
        assertThat(forPeople).extracting(line -> line.path("migrationId").asText()).contains("h-stuck")
                .doesNotContain("h-code");
        assertThat(waiting).extracting(line -> line.path("migrationId").asText()).contains("h-stuck", "h-code");
        assertThatThrownBy(() -> call("list", new Object[] {"STUCK", "", "", 10}, signature))
                .hasStackTraceContaining("HUMAN_ACTION");
        // the batch test counts the TEST_CODE migrations waiting at await-code: leave none behind
        assertThat(call("cancel", new Object[] {"h-code", "listed only"}, strings(2)).path("outcome").asText())
                .isEqualTo("APPLIED");
    }

    @Test
    void should_count_and_list_migrations_newest_first() throws Exception {
        String key = startMigration("TEST_STEPS", "h-listed");
        events.awaitType("h-listed", "waba.migration.completed");

        JsonNode counts = JSON.readTree((String) jmx.invoke(mbean, "counts", new Object[0], new String[0]));
        JsonNode byNumber = call("list", new Object[] {"", "", "+" + key, 10},
                new String[] {String.class.getName(), String.class.getName(), String.class.getName(), "int"});
        JsonNode completed = call("list", new Object[] {"COMPLETED", "TEST_STEPS", "", 1000},
                new String[] {String.class.getName(), String.class.getName(), String.class.getName(), "int"});

        assertThat(counts.at("/byFlow/TEST_STEPS/COMPLETED").asInt()).isPositive();
        assertThat(counts.path("total").asInt()).isGreaterThanOrEqualTo(counts.at("/byFlow/TEST_STEPS/COMPLETED").asInt());
        assertThat(byNumber).singleElement().satisfies(line -> {
            assertThat(line.path("migrationId").asText()).isEqualTo("h-listed");
            assertThat(line.path("state").asText()).isEqualTo("COMPLETED");
            assertThat(line.path("step").asText()).isEqualTo("three");
            assertThat(line.path("updatedAt").asText()).isNotEmpty();
        });
        assertThat(completed).extracting(line -> line.path("state").asText()).containsOnly("COMPLETED");
        List<String> updated = new ArrayList<>();
        completed.forEach(line -> updated.add(line.path("updatedAt").asText()));
        assertThat(updated).isSortedAccordingTo(java.util.Comparator.reverseOrder());
    }

    @Test
    void should_list_the_migrations_of_one_batch_by_its_id() throws Exception {
        for (String migrationId : List.of("h-batch-1", "h-batch-2")) {
            String number = "650" + NUMBERS.incrementAndGet();
            commands.send("1" + number, """
                    {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"TEST_STEPS",
                     "batchId":"spring_2026","phoneNumber":{"countryCode":"1","number":"%s"}}"""
                    .formatted(migrationId, migrationId, number));
        }
        String key = startMigration("TEST_STEPS", "h-no-batch");
        for (String migrationId : List.of("h-batch-1", "h-batch-2", "h-no-batch")) {
            events.awaitType(migrationId, "waba.migration.completed");
        }
        String[] signature = {String.class.getName(), String.class.getName(), String.class.getName(), "int"};

        JsonNode batch = call("list", new Object[] {"", "", "spring_2026", 1000}, signature);
        JsonNode completedInBatch = call("list", new Object[] {"COMPLETED", "", " spring_2026 ", 1000}, signature);
        JsonNode failedInBatch = call("list", new Object[] {"FAILED", "", "spring_2026", 1000}, signature);
        JsonNode byNumber = call("list", new Object[] {"", "", "+1 " + key.substring(1), 10}, signature);

        assertThat(batch).extracting(line -> line.path("migrationId").asText())
                .containsExactlyInAnyOrder("h-batch-1", "h-batch-2");
        assertThat(batch).extracting(line -> line.path("batchId").asText()).containsOnly("spring_2026");
        assertThat(completedInBatch).extracting(line -> line.path("migrationId").asText())
                .containsExactlyInAnyOrder("h-batch-1", "h-batch-2");
        assertThat(failedInBatch).isEmpty();
        assertThat(byNumber).singleElement().satisfies(line -> {
            assertThat(line.path("migrationId").asText()).isEqualTo("h-no-batch");
            assertThat(line.has("batchId")).isFalse();
        });
        assertThatThrownBy(() -> call("list", new Object[] {"", "", "wave 7!", 10}, signature))
                .hasStackTraceContaining("batch id");
    }

    @Test
    void should_prune_only_the_history_of_migrations_that_ended_long_ago() throws Exception {
        startMigration("TEST_STEPS", "h-old");
        startMigration("TEST_STEPS", "h-recent");
        startMigration("TEST_CODE", "h-old-but-waiting");
        events.awaitType("h-old", "waba.migration.completed");
        events.awaitType("h-recent", "waba.migration.completed");
        events.await(e -> "h-old-but-waiting".equals(e.at("/data/migrationId").asText())
                && "VERIFICATION_CODE".equals(e.at("/data/awaiting/kind").asText()));

        endedDaysAgo("h-old", 91);
        endedDaysAgo("h-old-but-waiting", 200);

        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> historyRows("h-old").isEmpty());
        assertThat(historyRows("h-recent")).hasSize(4);
        assertThat(historyRows("h-old-but-waiting")).isNotEmpty();
    }

    @Test
    void should_keep_the_history_small_per_migration() throws Exception {
        int migrations = 40;
        long before = historyBytes();
        long rowsBefore = historyCount();
        for (int i = 0; i < migrations; i++) {
            startMigration("TEST_STEPS", "h-size-" + i);
        }
        for (int i = 0; i < migrations; i++) {
            events.awaitType("h-size-" + i, "waba.migration.completed");
        }
        long bytes = historyBytes() - before;
        long rows = historyCount() - rowsBefore;

        System.out.printf("step history on %s: %d bytes for %d migrations of 3 steps (%d rows): %d bytes per migration%n",
                db.kind(), bytes, migrations, rows, bytes / migrations);
        assertThat(rows).isEqualTo(4L * migrations);
        assertThat(bytes / migrations).as("bytes per migration").isBetween(1L, 4096L);
    }

    private long historyCount() throws Exception {
        try (Connection connection = db.connect();
             ResultSet row = connection.createStatement().executeQuery("SELECT COUNT(*) FROM step_history")) {
            row.next();
            return row.getLong(1);
        }
    }

    /** The table's size with its indexes, as the database reports it. */
    private long historyBytes() throws Exception {
        String query = "postgresql".equals(db.kind()) ? "SELECT pg_total_relation_size('step_history')"
                : "SELECT DISK_SPACE_USED('STEP_HISTORY')";
        try (Connection connection = db.connect();
             ResultSet row = connection.createStatement().executeQuery(query)) {
            row.next();
            return row.getLong(1);
        }
    }
}
