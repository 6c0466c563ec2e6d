package dev.wabamigrator.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Inserts held back to the end of a transaction and sent there as one JDBC batch per statement: the writes of a group
 * ({@link GroupCommit}) then cost one round trip for all their events and one for all their history rows, not one
 * each. Only for statements whose effect nothing in the same transaction reads before the end.
 */
public final class Batches {
    private final Sql sql;
    /** Parameter sets by statement name, statements in the order they were first added. */
    private final Map<String, List<Map<String, ?>>> pending = new LinkedHashMap<>();

    Batches(Sql sql) {
        this.sql = sql;
    }

    public void add(String statement, Map<String, ?> params) {
        addAll(statement, List.of(params));
    }

    public void addAll(String statement, List<? extends Map<String, ?>> params) {
        if (!params.isEmpty()) {
            pending.computeIfAbsent(statement, name -> new ArrayList<>()).addAll(params);
        }
    }

    /** Sends what was added, one batch per statement, in the transaction of {@code connection}; then holds nothing. */
    void flush(Connection connection) throws SQLException {
        for (Map.Entry<String, List<Map<String, ?>>> batch : pending.entrySet()) {
            sql.batch(connection, batch.getKey(), batch.getValue());
        }
        pending.clear();
    }
}
