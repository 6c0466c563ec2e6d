package dev.wabamigrator.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What operators read about migrations: counts, filtered lists and one migration's current row, without its
 * secrets or command parameters. Plain SQL reads, outside the engine's paths.
 */
public final class MigrationOverview {
    /** One migration's columns as read: text, numbers, and {@link Instant} for timestamps. */
    public record Row(Map<String, Object> columns) {
        public String text(String column) {
            Object value = columns.get(column);
            return value == null ? null : value.toString();
        }
    }

    /** Which migrations a batch action may touch: resumable ones, or active ones. */
    public enum Action { RESUME, CANCEL }

    private static final List<String> TIMESTAMPS = List.of("expires_at", "next_attempt_at", "created_at", "updated_at");

    private final Sql sql;

    public MigrationOverview(Sql sql) {
        this.sql = sql;
    }

    /** Migrations by flow, then by state. */
    public Map<String, Map<String, Long>> counts() {
        Map<String, Map<String, Long>> byFlow = new java.util.TreeMap<>();
        sql.query("count-migrations-by-state", Map.of(), row -> {
            byFlow.computeIfAbsent(row.getString("flow"), flow -> new java.util.TreeMap<>())
                    .put(row.getString("state"), row.getLong("migrations"));
            return null;
        });
        return byFlow;
    }

    /** Newest first; a null filter matches everything. */
    public List<Row> list(StateFilter state, String flow, String step, String phoneE164, String batchId, int limit) {
        Map<String, Object> params = new HashMap<>();
        params.put("state", state.state());
        params.put("awaiting", state.awaiting());
        params.put("flow", flow);
        params.put("step", step);
        params.put("phone", phoneE164);
        params.put("batch", batchId);
        params.put("limit", limit);
        return sql.query("list-migrations", params, MigrationOverview::row);
    }

    public Optional<Row> find(String migrationId) {
        return sql.query("find-migration-overview", Map.of("migrationId", migrationId), MigrationOverview::row)
                .stream().findFirst();
    }

    /** The ids a batch action would address, oldest change first; a null filter matches everything. */
    public List<String> candidates(Action action, StateFilter state, String flow, String step, int limit) {
        Map<String, Object> params = new HashMap<>();
        params.put("action", action.name().toLowerCase());
        params.put("state", state.state());
        params.put("awaiting", state.awaiting());
        params.put("flow", flow);
        params.put("step", step);
        params.put("limit", limit);
        return sql.query("find-operator-action-candidates", params, row -> row.getString("migration_id"));
    }

    private static Row row(ResultSet row) throws SQLException {
        Map<String, Object> columns = new LinkedHashMap<>();
        var meta = row.getMetaData();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
            String name = meta.getColumnLabel(i).toLowerCase();
            columns.put(name, TIMESTAMPS.contains(name) ? Sql.instant(row, name) : row.getObject(i));
        }
        return new Row(columns);
    }
}
