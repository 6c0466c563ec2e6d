package dev.wabamigrator.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads and writes migration rows; every write is guarded by the row version. */
public final class MigrationStore {
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() { };

    private final Sql sql;
    private final SecretBox secretBox;
    private final ObjectMapper json;
    private final Clock clock;

    public MigrationStore(Sql sql, SecretBox secretBox, ObjectMapper json, Clock clock) {
        this.sql = sql;
        this.secretBox = secretBox;
        this.json = json;
        this.clock = clock;
    }

    public Sql sql() {
        return sql;
    }

    public Optional<Migration> find(Connection connection, String migrationId) throws SQLException {
        return sql.query(connection, "find-migration", Map.of("migrationId", migrationId), this::map)
                .stream().findFirst();
    }

    public Optional<Migration> find(String migrationId) {
        return sql.inTransaction(connection -> find(connection, migrationId));
    }

    /** True when a row with this id exists, readable or not. */
    public boolean exists(Connection connection, String migrationId) throws SQLException {
        return !sql.query(connection, "find-migration", Map.of("migrationId", migrationId),
                row -> row.getString("migration_id")).isEmpty();
    }

    /**
     * The rows claimed with this token: each a {@link Migration}, or an {@link UnreadableMigration} for a row
     * that cannot be read, so one bad row never hides the others.
     */
    public List<Object> findClaimed(Connection connection, String token) throws SQLException {
        return sql.query(connection, "find-claimed-migrations", Map.of("token", token), row -> {
            try {
                return map(row);
            } catch (UnreadableMigration unreadable) {
                return unreadable;
            }
        });
    }

    /**
     * Sets an unreadable row aside for a person: AWAITING_INPUT / HUMAN_ACTION, nothing due, no claim. Guarded by
     * the version it was read at; secrets, params and result stay as they are, so a repaired row can be resumed.
     *
     * @return false when the row changed meanwhile
     */
    public boolean setAside(Connection connection, UnreadableMigration row, String reason, String lastError, Instant now)
            throws SQLException {
        Map<String, Object> params = new HashMap<>();
        params.put("migrationId", row.migrationId());
        params.put("version", row.version());
        params.put("awaitingReason", reason);
        params.put("lastError", lastError);
        params.put("now", now);
        return sql.update(connection, "set-aside-unreadable-migration", params) == 1;
    }

    public Optional<String> findActiveByPhone(Connection connection, String phoneE164) throws SQLException {
        return sql.query(connection, "find-active-migration-by-phone", Map.of("phoneE164", phoneE164),
                row -> row.getString(1)).stream().findFirst();
    }

    public void insert(Connection connection, Migration m, Instant now) throws SQLException {
        Map<String, Object> params = new HashMap<>();
        params.put("migrationId", m.migrationId);
        params.put("flow", m.flow);
        params.put("countryCode", m.countryCode);
        params.put("nationalNumber", m.nationalNumber);
        params.put("phoneE164", m.phoneE164);
        params.put("state", m.state.name());
        params.put("step", m.step);
        params.put("params", m.params.toString());
        params.put("secrets", sealSecrets(m));
        params.put("now", now);
        sql.update(connection, "insert-migration", params);
        m.version = 0;
        m.nextAttemptAt = now;
    }

    /**
     * Writes the migration's current fields if nobody changed the row since it was read.
     *
     * @return false when the row moved on (another writer won); the caller's copy is then stale
     */
    public boolean update(Connection connection, Migration m, Instant now) throws SQLException {
        Map<String, Object> params = new HashMap<>();
        params.put("migrationId", m.migrationId);
        params.put("version", m.version);
        params.put("state", m.state.name());
        params.put("step", m.step);
        params.put("attempt", m.attempt);
        params.put("activePhone", m.state.isTerminal() ? null : m.phoneE164);
        params.put("secrets", sealSecrets(m));
        params.put("result", m.result.toString());
        params.put("awaiting", m.awaiting == null ? null : m.awaiting.name());
        params.put("awaitingReason", m.awaitingReason);
        params.put("expiresAt", m.expiresAt);
        params.put("lastError", m.lastError);
        params.put("pendingCall", m.pendingCall);
        params.put("nextAttemptAt", m.nextAttemptAt);
        params.put("claimOwner", m.claimOwner);
        params.put("claimToken", m.claimToken);
        params.put("claimedUntil", m.claimedUntil);
        params.put("now", now);
        if (sql.update(connection, "update-migration", params) == 1) {
            m.version++;
            return true;
        }
        return false;
    }

    /** Seals under the current key on every write, so a row read under a previous key moves to the current one. */
    private String sealSecrets(Migration m) {
        if (m.secrets.isEmpty()) {
            return null;
        }
        try {
            return secretBox.encrypt(json.writeValueAsString(m.secrets), m.migrationId);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * One row as a {@link Migration}.
     *
     * @throws UnreadableMigration when a column holds what this version cannot read (secrets under another key,
     *                             bad JSON, an unknown state): the caller decides what to do with such a row
     */
    private Migration map(ResultSet row) throws SQLException {
        Migration m = new Migration();
        m.clock = clock;
        m.migrationId = row.getString("migration_id");
        m.flow = row.getString("flow");
        m.countryCode = row.getString("country_code");
        m.nationalNumber = row.getString("national_number");
        m.phoneE164 = row.getString("phone_e164");
        m.step = row.getString("step");
        m.attempt = row.getInt("attempt");
        m.version = row.getLong("version");
        m.state = readable(m, "state", () -> MigrationState.valueOf(row.getString("state")));
        m.params = readable(m, "params", () -> jsonObject(row.getString("params")));
        m.result = readable(m, "result", () -> jsonObject(row.getString("result")));
        String sealed = row.getString("secrets");
        m.secrets = sealed == null ? new HashMap<>() : readable(m, "secrets",
                () -> new HashMap<>(json.readValue(secretBox.decrypt(sealed, m.migrationId), STRING_MAP)));
        String awaiting = row.getString("awaiting");
        m.awaiting = awaiting == null ? null : readable(m, "awaiting", () -> Awaiting.valueOf(awaiting));
        m.awaitingReason = row.getString("awaiting_reason");
        m.expiresAt = Sql.instant(row, "expires_at");
        m.lastError = row.getString("last_error");
        m.pendingCall = row.getString("pending_call");
        m.nextAttemptAt = Sql.instant(row, "next_attempt_at");
        m.claimOwner = row.getString("claim_owner");
        m.claimToken = row.getString("claim_token");
        m.claimedUntil = Sql.instant(row, "claimed_until");
        return m;
    }

    /** Reads one column's value; what cannot be read becomes an {@link UnreadableMigration} naming the column. */
    private static <T> T readable(Migration m, String column, ColumnReader<T> reader) throws SQLException {
        try {
            return reader.read();
        } catch (SQLException e) {
            throw e;
        } catch (Exception e) {
            // the message names the column and the kind of failure only: a decryption error may not say more
            String problem = "secrets".equals(column) ? "secrets cannot be decrypted (was SECRETS_KEY changed?)"
                    : column + " cannot be read (" + e.getClass().getSimpleName() + ")";
            throw new UnreadableMigration(m.migrationId, m.flow, m.countryCode, m.nationalNumber, m.phoneE164, m.step,
                    m.attempt, m.version, problem);
        }
    }

    @FunctionalInterface
    private interface ColumnReader<T> {
        T read() throws Exception;
    }

    private ObjectNode jsonObject(String text) throws JsonProcessingException {
        JsonNode node = text == null ? null : json.readTree(text);
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        return (ObjectNode) node;
    }
}
