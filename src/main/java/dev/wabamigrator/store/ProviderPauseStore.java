package dev.wabamigrator.store;

import dev.wabamigrator.engine.ProviderPauses.Pause;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code provider_pause} rows: at most one pause per provider, shared by every instance. The pause a
 * {@code ResumeMigration} ends is deleted with the resume, by {@link MigrationStore#saveResume}.
 */
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

    /** @return true when any pause was in force */
    public boolean deleteAll() {
        return sql.update("delete-provider-pauses", Map.of()) > 0;
    }
}
