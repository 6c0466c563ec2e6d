package dev.wabamigrator.operations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.command.CommandIntake;
import dev.wabamigrator.command.IntakeResult;
import dev.wabamigrator.event.MigrationEvents;
import dev.wabamigrator.event.OutboxEvent;
import dev.wabamigrator.store.MigrationOverview;
import dev.wabamigrator.store.StateFilter;
import dev.wabamigrator.store.StepHistory;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.management.InstanceAlreadyExistsException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link MigrationsMBean}. An action builds the command a producer on the commands topic would send (fresh
 * commandId {@code op-<uuid>}, the migration's number as key) and hands it to {@link CommandIntake#handle}, so
 * validation, rejections and events are those of any command. While it runs, the step history expects it under its
 * commandId: the command's transaction then also writes the operator-action row and event (who, why, what), so an
 * action is never applied without its record. Nothing here reads or returns a secret: rows are read without the
 * sealed secrets and the command parameters.
 */
public final class Migrations implements MigrationsMBean {
    private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);
    public static final String OBJECT_NAME = "waba-migrator:type=Migrations";
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_ITEMS = 1000;
    private static final String VIA = "jmx";

    private final CommandIntake intake;
    private final StepHistory history;
    private final MigrationOverview overview;
    private final MigrationEvents events;
    private final ObjectMapper json;

    public Migrations(CommandIntake intake, StepHistory history, MigrationOverview overview, MigrationEvents events,
                      ObjectMapper json) {
        this.intake = intake;
        this.history = history;
        this.overview = overview;
        this.events = events;
        this.json = json;
    }

    /**
     * Registers the MBean on the platform MBean server as {@value #OBJECT_NAME}; a second application in the same JVM
     * (tests) adds {@code ,instance=<name>}. Closing unregisters it.
     */
    public AutoCloseable register(String instance) throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName(OBJECT_NAME);
        try {
            server.registerMBean(this, name);
        } catch (InstanceAlreadyExistsException taken) {
            name = new ObjectName(OBJECT_NAME + ",instance=" + ObjectName.quote(instance));
            server.registerMBean(this, name);
            LOG.warn("{} is taken in this JVM: this application's operations MBean is {}", OBJECT_NAME, name);
        }
        ObjectName registered = name;
        return () -> server.unregisterMBean(registered);
    }

    @Override
    public String counts() {
        Map<String, Map<String, Long>> byFlow = overview.counts();
        ObjectNode answer = json.createObjectNode();
        answer.put("total", byFlow.values().stream().flatMap(states -> states.values().stream())
                .mapToLong(Long::longValue).sum());
        ObjectNode flows = answer.putObject("byFlow");
        byFlow.forEach((flow, states) -> {
            ObjectNode node = flows.putObject(flow);
            states.forEach(node::put);
        });
        return answer.toString();
    }

    @Override
    public String list(String state, String flow, String phoneOrBatch, int limit) {
        List<ObjectNode> lines = new ArrayList<>();
        String numberOrBatch = blankToNull(phoneOrBatch);
        boolean isPhone = numberOrBatch != null && isPhone(numberOrBatch);
        for (MigrationOverview.Row row : overview.list(StateFilter.of(state), blankToNull(flow), null,
                isPhone ? phoneDigits(numberOrBatch) : null, isPhone ? null : batchId(numberOrBatch),
                limit <= 0 ? DEFAULT_LIMIT : Math.min(limit, MAX_ITEMS))) {
            ObjectNode line = summary(row);
            lastError(line, row);
            line.put("updatedAt", timestamp(row.columns().get("updated_at")));
            lines.add(line);
        }
        return lines(lines);
    }

    @Override
    public String show(String migrationId) {
        var found = migrationId == null ? java.util.Optional.<MigrationOverview.Row>empty() : overview.find(migrationId);
        if (found.isEmpty()) {
            return json.createObjectNode().put("migrationId", migrationId).put("error", "no migration with id "
                    + migrationId).toString();
        }
        MigrationOverview.Row row = found.get();
        ObjectNode current = summary(row);
        putIfPresent(current, "expiresAt", timestamp(row.columns().get("expires_at")));
        lastError(current, row);
        putIfPresent(current, "pendingCall", row.text("pending_call"));
        putIfPresent(current, "nextAttemptAt", timestamp(row.columns().get("next_attempt_at")));
        current.set("result", parsed(row.text("result")));
        current.set("control", parsed(row.text("control")));
        current.put("createdAt", timestamp(row.columns().get("created_at")));
        current.put("updatedAt", timestamp(row.columns().get("updated_at")));
        List<ObjectNode> timeline = new ArrayList<>();
        for (StepHistory.Entry entry : history.timeline(migrationId)) {
            timeline.add(entry(entry));
        }
        return "{\"migration\":" + current + ",\n\"timeline\":" + lines(timeline) + "}";
    }

    /** Who and where a migration is: its id, flow, number, state, step and attempt, and what it waits for. */
    private ObjectNode summary(MigrationOverview.Row row) {
        ObjectNode line = json.createObjectNode();
        line.put("migrationId", row.text("migration_id"));
        line.put("flow", row.text("flow"));
        line.put("phone", row.text("phone_e164"));
        putIfPresent(line, "batchId", row.text("batch_id"));
        line.put("state", row.text("state"));
        line.put("step", row.text("step"));
        line.put("attempt", ((Number) row.columns().get("attempt")).intValue());
        awaiting(line, row);
        return line;
    }

    @Override
    public String resume(String migrationId, String reason) {
        return act("ResumeMigration", migrationId, reason).toString();
    }

    @Override
    public String cancel(String migrationId, String reason) {
        return act("CancelMigration", migrationId, reason).toString();
    }

    @Override
    public String resumeAll(String state, String flow, String step, boolean dryRun) {
        String reason = "resumeAll(state=" + orAny(state) + ", flow=" + orAny(flow) + ", step=" + orAny(step) + ")";
        return batch(MigrationOverview.Action.RESUME, "ResumeMigration", state, flow, step, reason, dryRun);
    }

    @Override
    public String cancelAll(String state, String flow, String step, String reason, boolean dryRun) {
        requireReason(reason);
        return batch(MigrationOverview.Action.CANCEL, "CancelMigration", state, flow, step, reason, dryRun);
    }

    private String batch(MigrationOverview.Action action, String commandType, String state, String flow, String step,
                         String reason, boolean dryRun) {
        List<String> ids = overview.candidates(action, StateFilter.of(state), blankToNull(flow), blankToNull(step), MAX_ITEMS + 1);
        boolean more = ids.size() > MAX_ITEMS;
        ids = more ? ids.subList(0, MAX_ITEMS) : ids;
        ObjectNode answer = json.createObjectNode();
        answer.put("dryRun", dryRun);
        answer.put("command", commandType);
        answer.put("count", ids.size());
        answer.put("more", more);
        if (dryRun) {
            ArrayNode list = answer.putArray("migrationIds");
            ids.forEach(list::add);
            return answer.toString();
        }
        List<ObjectNode> results = new ArrayList<>();
        int applied = 0;
        for (String id : ids) {
            ObjectNode result = act(commandType, id, reason);
            applied += "APPLIED".equals(result.path("outcome").asText()) ? 1 : 0;
            results.add(result);
        }
        answer.put("applied", applied);
        answer.put("rejected", ids.size() - applied);
        String head = answer.toString();
        return head.substring(0, head.length() - 1) + ",\n\"results\":" + lines(results) + "}";
    }

    /** Issues one command as the calling operator, through intake, and says what came of it. */
    private ObjectNode act(String commandType, String migrationId, String reason) {
        requireReason(reason);
        if (migrationId == null || migrationId.isBlank() || migrationId.length() > 64) {
            throw new IllegalArgumentException("not a migration id: give the id of one migration (1 to 64 characters)");
        }
        String user = Operator.current();
        String commandId = "op-" + UUID.randomUUID();
        String key = overview.find(migrationId).map(row -> row.text("phone_e164")).orElse(null);
        ObjectNode command = json.createObjectNode();
        command.put("commandId", commandId);
        command.put("type", commandType);
        command.put("migrationId", migrationId);
        command.put("reason", reason);
        Action action = new Action(user, reason, key == null ? commandId : key, migrationId, commandId, commandType);
        IntakeResult result;
        try (StepHistory.Expectation expected = history.expect(commandId, action)) {
            result = intake.handle(command.toString().getBytes(StandardCharsets.UTF_8), key);
        }
        ObjectNode answer = json.createObjectNode();
        answer.put("migrationId", migrationId);
        answer.put("command", commandType);
        answer.put("commandId", commandId);
        answer.put("user", user);
        answer.put("outcome", result.isDeadLetter() ? "NOT_TAKEN" : result.getReason());
        if (result.isDeadLetter()) {
            answer.put("message", result.getMessage());
        } else if ("REJECTED".equals(result.getReason()) && action.rejectionCode != null) {
            answer.putObject("rejection").put("code", action.rejectionCode).put("message", action.rejectionMessage);
        } else if ("APPLIED".equals(result.getReason())) {
            overview.find(migrationId).ifPresent(row -> answer.put("state", row.text("state")).put("step", row.text("step")));
        }
        LOG.info("operator {} {} migration {} ({}): {}", user, commandType, migrationId, commandId, answer.path("outcome").asText());
        return answer;
    }

    /** The operator action as the history and the event record it. */
    private final class Action implements StepHistory.OperatorAction {
        private final String user;
        private final String reason;
        private final String key;
        private final String migrationId;
        private final String commandId;
        private final String commandType;
        private volatile String rejectionCode;
        private volatile String rejectionMessage;

        Action(String user, String reason, String key, String migrationId, String commandId, String commandType) {
            this.user = user;
            this.reason = reason;
            this.key = key;
            this.migrationId = migrationId;
            this.commandId = commandId;
            this.commandType = commandType;
        }

        @Override
        public String actor() {
            return user;
        }

        @Override
        public String reason() {
            return reason;
        }

        @Override
        public OutboxEvent event(String outcome, String rejectionCode, String rejectionMessage, Instant now) {
            this.rejectionCode = rejectionCode;
            this.rejectionMessage = rejectionMessage;
            return events.operatorAction(key, migrationId, commandId, commandType, user, VIA, reason, outcome,
                    rejectionCode, rejectionMessage, now);
        }
    }

    private ObjectNode entry(StepHistory.Entry entry) {
        ObjectNode node = json.createObjectNode();
        node.put("at", timestamp(entry.endedAt()));
        node.put("kind", entry.kind());
        putIfPresent(node, "step", entry.step());
        if (entry.attempt() != null) {
            node.put("attempt", entry.attempt());
        }
        node.put("outcome", entry.outcome());
        putIfPresent(node, "state", entry.state());
        if (entry.errorCode() != null) {
            ObjectNode error = node.putObject("error");
            putIfPresent(error, "category", entry.errorCategory());
            error.put("code", entry.errorCode());
            putIfPresent(error, "message", entry.errorMessage());
            putIfPresent(error, "requestId", entry.requestId());
        }
        putIfPresent(node, "commandType", entry.commandType());
        putIfPresent(node, "commandId", entry.commandId());
        putIfPresent(node, "user", entry.actor());
        putIfPresent(node, "reason", entry.reason());
        if (entry.startedAt() != null) {
            node.put("startedAt", timestamp(entry.startedAt()));
            node.put("millis", entry.endedAt().toEpochMilli() - entry.startedAt().toEpochMilli());
        }
        return node;
    }

    private static void awaiting(ObjectNode line, MigrationOverview.Row row) {
        if (row.text("awaiting") != null || "AWAITING_INPUT".equals(row.text("state"))) {
            ObjectNode awaiting = line.putObject("awaiting");
            putIfPresent(awaiting, "kind", row.text("awaiting"));
            putIfPresent(awaiting, "reason", row.text("awaiting_reason"));
        } else if (row.text("awaiting_reason") != null) {
            line.put("reason", row.text("awaiting_reason")); // a cancelled migration keeps its cancel reason here
        }
    }

    private void lastError(ObjectNode line, MigrationOverview.Row row) {
        String lastError = row.text("last_error");
        if (lastError != null) {
            JsonNode error = parsed(lastError);
            line.set("lastError", error.isObject() ? error : json.getNodeFactory().textNode(lastError));
        }
    }

    private JsonNode parsed(String text) {
        if (text == null) {
            return json.nullNode();
        }
        try {
            return json.readTree(text);
        } catch (java.io.IOException e) {
            return json.getNodeFactory().textNode(text);
        }
    }

    /** A JSON array with one compact element per line, so a list reads line by line in Hawtio or a terminal. */
    private static String lines(List<ObjectNode> elements) {
        if (elements.isEmpty()) {
            return "[]";
        }
        StringBuilder out = new StringBuilder("[\n");
        for (int i = 0; i < elements.size(); i++) {
            out.append(elements.get(i)).append(i + 1 < elements.size() ? ",\n" : "\n");
        }
        return out.append(']').toString();
    }

    private static void requireReason(String reason) {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("an operator action needs a reason (it is recorded with the action)");
        }
    }

    /**
     * A phone number is written with digits and nothing but {@code + ( ) . -} and spaces ({@code +1 650-555-1234});
     * anything else (a letter, {@code _} or {@code :}) names a batch.
     */
    private static boolean isPhone(String value) {
        return value.matches("[0-9+\\s().-]+") && value.chars().anyMatch(Character::isDigit);
    }

    /** The E.164 digits of a number given as {@code +1 650-555-1234}. */
    private static String phoneDigits(String value) {
        String digits = value.replaceAll("[+\\s().-]", "");
        if (digits.length() > 20) {
            throw new IllegalArgumentException("a phone number has at most 20 digits: " + value);
        }
        return digits;
    }

    private static String batchId(String value) {
        if (value == null) {
            return null;
        }
        if (!value.matches("[A-Za-z0-9._:-]{1,64}")) {
            throw new IllegalArgumentException("give a phone number's digits or a batch id (1 to 64 letters, digits"
                    + " and . _ : -)");
        }
        return value;
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() || value.strip().equals("*") ? null : value.strip();
    }

    private static String orAny(String value) {
        String v = blankToNull(value);
        return v == null ? "any" : v;
    }

    private static void putIfPresent(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static String timestamp(Object instant) {
        return instant instanceof Instant i ? i.truncatedTo(ChronoUnit.MILLIS).toString() : null;
    }
}
