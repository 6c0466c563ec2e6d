package dev.wabamigrator.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The {@code register_attempt} rows: every register/deregister call sent for a number, and how it ended. */
public final class RegisterAttemptStore {

    /** One recorded call: when it was sent and its outcome ({@code OK}, a Graph code, or null while unknown). */
    public record Attempt(Instant at, String outcome) {
    }

    private final Sql sql;

    public RegisterAttemptStore(Sql sql) {
        this.sql = sql;
    }

    /** Runs {@link #since} and {@link #insert} together, so a check and the attempt it admits commit as one. */
    public <T> T inTransaction(Sql.Work<T> work) {
        return sql.inTransaction(work);
    }

    /** The attempts on a number after {@code since}. */
    public List<Attempt> since(Connection connection, String phoneE164, Instant since) throws SQLException {
        return sql.query(connection, "find-register-attempts", Map.of("phoneE164", phoneE164, "since", since),
                row -> new Attempt(Sql.instant(row, "attempted_at"), row.getString("outcome")));
    }

    public void insert(Connection connection, String attemptId, String phoneE164, String migrationId, String operation,
                       Instant now) throws SQLException {
        Map<String, Object> params = new HashMap<>();
        params.put("attemptId", attemptId);
        params.put("phoneE164", phoneE164);
        params.put("migrationId", migrationId);
        params.put("operation", operation);
        params.put("now", now);
        sql.update(connection, "insert-register-attempt", params);
    }

    public void recordOutcome(String attemptId, String outcome) {
        sql.update("update-register-attempt-outcome", Map.of("attemptId", attemptId, "outcome", outcome));
    }
}
