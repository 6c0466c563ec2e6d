package dev.wabamigrator.store;

import dev.wabamigrator.engine.ProviderPauses.Pause;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;

/** The {@code provider_pause} rows: at most one pause per provider, shared by every instance. */
public final class ProviderPauseStore {
    private final Sql sql;

    public ProviderPauseStore(Sql sql) {
        this.sql = sql;
    }

    /** @return false when a pause for that provider is already recorded (another migration or instance was first) */
    public boolean insert(Pause pause) {
        try {
            sql.update("insert-provider-pause", Map.of("provider", pause.provider(), "code", pause.code(),
                    "message", pause.message(), "migrationId", pause.migrationId(), "now", pause.since()));
            return true;
        } catch (Sql.SqlFailure e) {
            if (!e.isConstraintViolation()) {
                throw e;
            }
            return false;
        }
    }

    public Optional<Pause> find(String provider) {
        return sql.query("find-provider-pause", Map.of("provider", provider), row -> new Pause(
                row.getString("provider"), row.getString("code"), row.getString("message"),
                row.getString("migration_id"), Sql.instant(row, "paused_at"))).stream().findFirst();
    }

    /** Deletes the pause raised by {@code migrationId}, in the caller's transaction; true when there was one. */
    public boolean deleteRaisedBy(Connection connection, String migrationId) throws SQLException {
        return sql.update(connection, "delete-provider-pause-of-migration", Map.of("migrationId", migrationId)) > 0;
    }

    /** @return true when any pause was in force */
    public boolean deleteAll() {
        return sql.update("delete-provider-pauses", Map.of()) > 0;
    }
}
