package dev.wabamigrator.store;

import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.ProviderError;
import dev.wabamigrator.engine.StepOutcome;
import dev.wabamigrator.event.OutboxEvent;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code step_history} table: one row per step attempt, per applied command and per operator action, each
 * written in the transaction of the state change it describes. Only operators read it ({@link #timeline}); a timer
 * prunes it ({@link #prune}). Commands are recorded by type and id only, never by their values (a PIN, a code).
 */
public final class StepHistory {
    public static final String STEP = "STEP";
    public static final String COMMAND = "COMMAND";
    public static final String OPERATOR_ACTION = "OPERATOR_ACTION";
    public static final String APPLIED = "APPLIED";
    public static final String REJECTED = "REJECTED";

    /**
     * A command an operator issued, expected under its commandId while it runs through intake: its history row names
     * the operator and the reason, and its event goes to the outbox in the same transaction as the command.
     */
    public interface OperatorAction {
        String actor();

        String reason();

        /** The operator-action event: outcome {@link #APPLIED}, or {@link #REJECTED} with the rejection. */
        OutboxEvent event(String outcome, String rejectionCode, String rejectionMessage, Instant now);
    }

    /** One row of a migration's timeline, as operators read it. */
    public record Entry(long seq, String kind, String step, Integer attempt, String outcome, String state,
                        String errorCategory, String errorCode, String errorMessage, String requestId, String commandId,
                        String commandType, String actor, String reason, Instant startedAt, Instant endedAt) {
    }

    private final Sql sql;
    private final Outbox outbox;
    private final Clock clock;
    private final Map<String, OperatorAction> expected = new ConcurrentHashMap<>();

    StepHistory(Sql sql, Outbox outbox, Clock clock) {
        this.sql = sql;
        this.outbox = outbox;
        this.clock = clock;
    }

    /**
     * One run of a step: the step, its attempt number when it ran, what it came to, and how long it took (null when its
     * clock was not started); the migration's state after it and when it ended (null: as written, see {@link #step}).
     */
    public record Attempt(String step, int attempt, StepOutcome outcome, java.time.Duration took, String state,
                          Instant endedAt) {
        public Attempt(String step, int attempt, StepOutcome outcome, java.time.Duration took) {
            this(step, attempt, outcome, took, null, null);
        }
    }

    /**
     * Records one step attempt, in the caller's transaction; unless the attempt says otherwise, it left the migration
     * in the state written with it and ended {@code now}. The row is inserted at the end of the transaction.
     */
    public void step(Batches atEnd, Migration m, Attempt attempt, Instant now) {
        Map<String, Object> row = row(m.getMigrationId(), STEP, attempt.step(), attempt.attempt(),
                outcomeName(attempt.outcome()), attempt.state() != null ? attempt.state() : m.getState().name());
        Instant ended = attempt.endedAt() != null ? attempt.endedAt() : now;
        ProviderError error = attempt.outcome().error();
        if (error != null) {
            row.put("errorCategory", error.errorClass().name());
            row.put("errorCode", cut(error.code(), 80));
            row.put("errorMessage", cut(error.message(), 1000));
            row.put("requestId", cut(error.traceId(), 100));
        }
        row.put("startedAt", attempt.took() == null ? null : ended.minus(attempt.took()));
        row.put("endedAt", ended);
        atEnd.add("insert-step-history", row);
    }

    /**
     * Records an applied command, in the caller's transaction: an operator action (with its event) when an operator
     * issued it, else a plain command.
     */
    public void command(Connection connection, String commandId, String commandType, Migration m, Instant now)
            throws SQLException {
        OperatorAction action = expected.get(commandId);
        Map<String, Object> row = row(m.getMigrationId(), action == null ? COMMAND : OPERATOR_ACTION, m.getStep(),
                m.getAttempt(), APPLIED, m.getState().name());
        commandColumns(row, commandId, commandType, action, now);
        sql.update(connection, "insert-step-history", row);
        if (action != null) {
            outbox.add(connection, List.of(action.event(APPLIED, null, null, now)), now);
        }
    }

    /**
     * Records a rejected command when an operator issued it (with its event), in the caller's transaction. A rejected
     * command from the commands topic leaves no history: its rejection event says all there is.
     */
    public void rejected(Connection connection, String commandId, String commandType, String migrationId,
                         String code, String message, Instant now) throws SQLException {
        OperatorAction action = expected.get(commandId);
        if (action == null || migrationId == null) {
            return;
        }
        Map<String, Object> row = row(migrationId, OPERATOR_ACTION, null, null, REJECTED, null);
        row.put("errorCode", cut(code, 80));
        row.put("errorMessage", cut(message, 1000));
        commandColumns(row, commandId, commandType, action, now);
        sql.update(connection, "insert-step-history", row);
        outbox.add(connection, List.of(action.event(REJECTED, code, message, now)), now);
    }

    /** An operator's command expected under its commandId until closed. */
    public interface Expectation extends AutoCloseable {
        @Override
        void close();
    }

    /** Expects an operator's command under {@code commandId} until the returned handle is closed. */
    public Expectation expect(String commandId, OperatorAction action) {
        expected.put(commandId, action);
        return () -> expected.remove(commandId);
    }

    /** A migration's history, oldest first. */
    public List<Entry> timeline(String migrationId) {
        return sql.query("find-step-history", Map.of("migrationId", migrationId), row -> new Entry(row.getLong("seq"),
                row.getString("kind"), row.getString("step"), row.getObject("attempt", Integer.class),
                row.getString("outcome"), row.getString("state"), row.getString("error_category"),
                row.getString("error_code"), row.getString("error_message"), row.getString("request_id"),
                row.getString("command_id"), row.getString("command_type"), row.getString("actor"),
                row.getString("reason"), Sql.instant(row, "started_at"), Sql.instant(row, "ended_at")));
    }

    /**
     * Deletes the history of migrations that ended (COMPLETED, FAILED, CANCELLED) more than {@code retention} ago,
     * and of rejected operator actions that name no migration, once as old.
     *
     * @return the rows deleted
     */
    public int prune(int retentionDays) {
        return sql.update("prune-step-history", Map.of("cutoff", clock.instant().minus(Duration.ofDays(retentionDays))));
    }

    private static Map<String, Object> row(String migrationId, String kind, String step, Integer attempt,
                                           String outcome, String state) {
        Map<String, Object> row = new HashMap<>();
        row.put("migrationId", migrationId);
        row.put("kind", kind);
        row.put("step", step);
        row.put("attempt", attempt);
        row.put("outcome", outcome);
        row.put("state", state);
        for (String absent : List.of("errorCategory", "errorCode", "errorMessage", "requestId", "commandId",
                "commandType", "actor", "reason", "startedAt")) {
            row.put(absent, null);
        }
        return row;
    }

    private static void commandColumns(Map<String, Object> row, String commandId, String commandType,
                                       OperatorAction action, Instant now) {
        row.put("commandId", commandId);
        row.put("commandType", commandType);
        if (action != null) {
            row.put("actor", cut(action.actor(), 100));
            row.put("reason", cut(action.reason(), 500));
        }
        row.put("endedAt", now);
    }

    private static String outcomeName(StepOutcome outcome) {
        if (outcome instanceof StepOutcome.Succeeded) {
            return "SUCCEEDED";
        } else if (outcome instanceof StepOutcome.Await) {
            return "AWAITING";
        } else if (outcome instanceof StepOutcome.RetryLater) {
            return "RETRY_LATER";
        } else if (outcome instanceof StepOutcome.GoTo) {
            return "GO_TO";
        } else if (outcome instanceof StepOutcome.NeedsHuman) {
            return "NEEDS_HUMAN";
        }
        return "FAILED";
    }


    private static String cut(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max);
    }
}
