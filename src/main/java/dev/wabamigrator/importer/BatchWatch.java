package dev.wabamigrator.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.event.EventTypes;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the events topic says about one batch: the service's latest {@code waba.migration.batch.progress} report,
 * the latest state of each migration of the batch (with the reason of a failure or a wait), and the rejections of
 * this file's commands. Fed every event of the topic, in the topic's order.
 */
public final class BatchWatch {
    public static final List<String> STATES = List.of("RUNNING", "AWAITING_INPUT", "COMPLETED", "FAILED", "CANCELLED");
    public static final List<String> AWAITING = List.of("VERIFICATION_CODE", "CUSTOMER_ACCEPTANCE", "HUMAN_ACTION");

    /** The latest event of one migration of the batch. */
    public record Migration(String migrationId, String phone, String state, String awaiting, String reason) {
    }

    /** A command of this file the service refused. */
    public record Rejection(String commandId, String phone, String code, String message) {
    }

    private final String batchId;
    private final Set<String> commandIds;
    private final Set<String> migrationIds;
    private final Map<String, Migration> migrations = new LinkedHashMap<>();
    private final Map<String, Rejection> rejections = new LinkedHashMap<>();
    /** Events are delivered at least once: a copy published again later must not roll a migration back. */
    private final Set<String> seenEventIds = new HashSet<>();
    private JsonNode progress;
    private Instant progressTime;
    private long changes;

    /**
     * @param commandIds   the StartMigration ids of this file: their rejections are counted
     * @param migrationIds the migration ids of this file: a row is answered once one of its events is seen
     */
    public BatchWatch(String batchId, Collection<String> commandIds, Collection<String> migrationIds) {
        this.batchId = batchId;
        this.commandIds = Set.copyOf(commandIds);
        this.migrationIds = Set.copyOf(migrationIds);
    }

    public void accept(JsonNode event) {
        String type = event.path("type").asText();
        JsonNode data = event.path("data");
        if (type.equals(EventTypes.BATCH_PROGRESS)) {
            Instant time = time(event);
            // the latest report by time is the batch's standing: a copy published again later is older news
            if (batchId.equals(data.path("batchId").asText()) && (progressTime == null || !time.isBefore(progressTime))) {
                progress = data;
                progressTime = time;
                changes++;
            }
        } else if (type.equals(EventTypes.COMMAND_REJECTED)) {
            String commandId = data.path("commandId").asText();
            if (commandIds.contains(commandId)) {
                JsonNode reason = data.path("reason");
                rejections.put(commandId, new Rejection(commandId, phoneOf(commandId), reason.path("code").asText(),
                        reason.path("message").asText()));
                changes++;
            }
        } else if (batchId.equals(data.path("batchId").asText()) && data.hasNonNull("migrationId")
                && seenEventIds.add(event.path("source").asText() + " " + event.path("id").asText())) {
            String id = data.path("migrationId").asText();
            String awaiting = data.path("awaiting").path("kind").asText(null);
            migrations.put(id, new Migration(id, data.path("phoneNumber").path("e164").asText(),
                    data.path("state").asText(), awaiting, reason(data)));
            changes++;
        }
    }

    /** Grows with every event that concerned this batch: a renderer redraws when it changed. */
    public long changes() {
        return changes;
    }

    /** The service's latest report on the batch, or null before the first. */
    public JsonNode progress() {
        return progress;
    }

    public Map<String, Rejection> rejections() {
        return rejections;
    }

    public Collection<Migration> migrations() {
        return migrations.values();
    }

    /** Whether the service has answered a row: its migration has an event, or its command was rejected. */
    public boolean answered(String commandId, String migrationId) {
        return rejections.containsKey(commandId) || migrations.containsKey(migrationId);
    }

    /** Rows of this file the service has answered. */
    public long answeredRows() {
        return migrationIds.stream().filter(migrations::containsKey).count() + rejections.size();
    }

    /** No migration of this file is running, by the migrations' own events. */
    public boolean ownMigrationsSettled() {
        return migrationIds.stream().map(migrations::get).noneMatch(m -> m != null && m.state().equals("RUNNING"));
    }

    /**
     * The batch is over for this import: the service answered every row, none of them is running by its own
     * events, and the service's latest report, counting every migration of this file, says no migration of the batch
     * is running (a report made before the service took in the last rows is not the last word).
     */
    public boolean settled() {
        long ownMigrations = migrationIds.stream().filter(migrations::containsKey).count();
        return answeredRows() >= migrationIds.size() && ownMigrationsSettled()
                && progress != null && progress.path("settled").asBoolean(false)
                && progress.path("total").asLong(0) >= ownMigrations;
    }

    /** Counts by state, from the service's report, or from the migrations' events when there is none. */
    public Map<String, Long> states() {
        Map<String, Long> counts = new LinkedHashMap<>();
        STATES.forEach(s -> counts.put(s, progress != null ? progress.path("states").path(s).asLong(0)
                : migrations.values().stream().filter(m -> m.state().equals(s)).count()));
        return counts;
    }

    /** Counts of waiting migrations by what they wait for, from the report, or from the events when there is none. */
    public Map<String, Long> awaiting() {
        Map<String, Long> counts = new LinkedHashMap<>();
        AWAITING.forEach(a -> counts.put(a, progress != null ? progress.path("awaiting").path(a).asLong(0)
                : migrations.values().stream()
                        .filter(m -> m.state().equals("AWAITING_INPUT") && a.equals(m.awaiting())).count()));
        return counts;
    }

    /** Migrations in the batch: the report's total, or the migrations seen. */
    public long total() {
        return progress != null ? progress.path("total").asLong(0) : migrations.size();
    }

    private String phoneOf(String commandId) {
        String prefix = NumbersFile.commandId(batchId, "");
        return commandId.startsWith(prefix) ? commandId.substring(prefix.length()) : "";
    }

    private static Instant time(JsonNode event) {
        try {
            return OffsetDateTime.parse(event.path("time").asText()).toInstant();
        } catch (DateTimeParseException e) {
            return Instant.MIN;
        }
    }

    private static String reason(JsonNode data) {
        if (data.has("awaiting")) {
            return data.path("awaiting").path("reason").asText();
        }
        JsonNode error = data.path("error");
        if (error.isObject()) {
            String message = error.path("message").asText();
            return error.path("category").asText() + " " + error.path("provider").asText() + " "
                    + error.path("code").asText() + (message.isEmpty() ? "" : ": " + message);
        }
        return "";
    }
}
