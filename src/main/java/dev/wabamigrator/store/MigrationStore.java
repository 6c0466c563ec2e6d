package dev.wabamigrator.store;

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
import java.util.Set;
import dev.wabamigrator.engine.Awaiting;
import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.MigrationState;
import dev.wabamigrator.engine.SecretBox;
import dev.wabamigrator.engine.UnreadableMigration;
import dev.wabamigrator.event.OutboxEvent;

/** Reads and writes migration rows; every write is guarded by the row version. */
public final class MigrationStore {
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() { };
    /** Control values that older versions kept with the secrets (see {@link #moveOlderControl}). */
    private static final Set<String> OLDER_CONTROL = Set.of("wrongCodes", "codeRequestInDoubt",
            "codeRequestedAgain", "tokenRefetchedFor", "resumeAfterTokenFetch");

    /**
     * The most step writes one commit carries. With the default 32 workers a group rarely reaches it; it bounds how
     * long a group holds its rows' locks on PostgreSQL.
     */
    static final int MAX_STEP_WRITES_PER_COMMIT = 64;

    private final Sql sql;
    private final Outbox outbox;
    private final StepHistory history;
    private final SecretBox secretBox;
    private final ObjectMapper json;
    private final Clock clock;
    /** The workers' step writes, committed together when they come in together. */
    private final GroupCommit stepWrites;

    public MigrationStore(Sql sql, SecretBox secretBox, ObjectMapper json, Clock clock) {
        this.sql = sql;
        this.stepWrites = new GroupCommit(sql, MAX_STEP_WRITES_PER_COMMIT);
        this.outbox = new Outbox(sql);
        this.history = new StepHistory(sql, outbox, clock);
        this.secretBox = secretBox;
        this.json = json;
        this.clock = clock;
    }

    /** The group commit of the workers' step writes ({@link #save}). */
    GroupCommit stepWrites() {
        return stepWrites;
    }

    /** The outbox, written in the same transactions as the rows. */
    public Outbox outbox() {
        return outbox;
    }

    /** The step history, written in the same transactions as the rows. */
    public StepHistory history() {
        return history;
    }

    private Optional<Migration> find(Connection connection, String migrationId) throws SQLException {
        return sql.query(connection, "find-migration", Map.of("migrationId", migrationId), this::map)
                .stream().findFirst();
    }

    /**
     * The migration with this id, if there is one.
     *
     * @throws UnreadableMigration when its row cannot be read
     */
    public Optional<Migration> find(String migrationId) {
        return sql.inTransaction(connection -> find(connection, migrationId));
    }

    /** True when a row with this id exists, readable or not. */
    private boolean exists(Connection connection, String migrationId) throws SQLException {
        return !sql.query(connection, "find-migration", Map.of("migrationId", migrationId),
                row -> row.getString("migration_id")).isEmpty();
    }

    /**
     * Claims up to {@code limit} due migrations that nobody holds, for {@code owner} with {@code token} until
     * {@code until}, and returns them as claimed, in one statement: each a {@link Migration}, or an
     * {@link UnreadableMigration} for a row that cannot be read, so one bad row never hides the others.
     */
    public List<Object> claimDue(String owner, String token, Instant until, Instant now, int limit) {
        return sql.inTransaction(connection -> sql.query(connection, "claim-due-migrations", Map.of("owner", owner,
                "token", token, "until", until, "now", now, "limit", limit), row -> {
                    try {
                        return map(row);
                    } catch (UnreadableMigration unreadable) {
                        return unreadable;
                    }
                }));
    }

    /** Gives a claim back, if the row still carries its token. */
    public void releaseClaim(String migrationId, String token) {
        sql.update("release-claim", Map.of("migrationId", migrationId, "token", token));
    }

    /**
     * Moves the lease end of the claims {@code owner} holds on these migrations to {@code until}. The rows are taken
     * in the order of their ids, as a group of step writes takes them ({@link GroupCommit}): in any other order the
     * two could deadlock, and a heartbeat aborted leaves every claim of the instance to run out.
     */
    public void extendClaims(List<String> migrationIds, String owner, Instant until) {
        sql.inTransaction(connection -> {
            sql.batch(connection, "extend-claim", migrationIds.stream().sorted().map(id -> Map.<String, Object>of(
                    "migrationId", id, "owner", owner, "until", until)).toList());
            return null;
        });
    }

    /**
     * Sets an unreadable row aside for a person: AWAITING_INPUT / HUMAN_ACTION, nothing due, no claim; and adds
     * {@code event}, in one transaction. Guarded by the version it was read at; secrets, params and result stay as
     * they are, so a repaired row can be resumed.
     *
     * @return false when the row changed meanwhile; nothing was written
     */
    public boolean setAside(UnreadableMigration row, String reason, String lastError, OutboxEvent event, Instant now) {
        Map<String, Object> params = new HashMap<>();
        params.put("migrationId", row.migrationId());
        params.put("version", row.version());
        params.put("awaitingReason", reason);
        params.put("lastError", lastError);
        params.put("now", now);
        return sql.inTransaction(connection -> {
            if (sql.update(connection, "set-aside-unreadable-migration", params) != 1) {
                return false;
            }
            outbox.add(connection, List.of(event), now);
            return true;
        });
    }

    /** The active migration of this number, if it has one. */
    public Optional<String> findActiveByPhone(String phoneE164) {
        return sql.inTransaction(connection -> findActiveByPhone(connection, phoneE164));
    }

    private Optional<String> findActiveByPhone(Connection connection, String phoneE164) throws SQLException {
        return sql.query(connection, "find-active-migration-by-phone", Map.of("phoneE164", phoneE164),
                row -> row.getString(1)).stream().findFirst();
    }

    /**
     * Runs {@code work} with every write of this store on this thread in one transaction: see
     * {@link Sql#inOneTransaction}.
     */
    public <T> T inOneTransaction(java.util.function.Supplier<T> work) {
        return sql.inOneTransaction(work);
    }

    /** Runs {@code action} once what this thread wrote is committed. */
    public void afterCommit(Runnable action) {
        sql.afterCommit(action);
    }

    /** True when a command with this id was applied or rejected already. */
    public boolean isCommandProcessed(String commandId) {
        return !sql.query("find-processed-command", Map.of("commandId", commandId), row -> row.getString(1)).isEmpty();
    }

    /** A command as recorded in {@code processed_command}: its id, its type, and the migration it is about. */
    public record ProcessedCommand(String commandId, String type, String migrationId) {
    }

    /** Why a new migration was not inserted: its id is taken, or its number has another active migration. */
    public record NotInserted(boolean idTaken, String activeMigrationId) {
    }

    /**
     * Inserts a new migration (due at once, version 0), records its start command as applied and adds its events,
     * in one transaction; unless its id is taken or its number has an active migration.
     *
     * @throws Sql.SqlFailure a constraint violation when another writer inserted the same id or number meanwhile
     */
    public Optional<NotInserted> insert(Migration m, ProcessedCommand command, List<OutboxEvent> events, Instant now) {
        return sql.inTransaction(connection -> {
            if (exists(connection, m.getMigrationId())) {
                return Optional.of(new NotInserted(true, null));
            }
            Optional<String> active = findActiveByPhone(connection, m.getPhoneE164());
            if (active.isPresent()) {
                return Optional.of(new NotInserted(false, active.get()));
            }
            insert(connection, m, now);
            insertProcessed(connection, command, "APPLIED", now);
            outbox.add(connection, events, now);
            history.command(connection, command.commandId(), command.type(), m, now);
            return Optional.empty();
        });
    }

    /**
     * Writes a migration's state and its events in one transaction, if nobody changed the row since it was read. The
     * transaction may carry other workers' saves handed in at the same time ({@link GroupCommit}); this returns once
     * it is committed, and only then does the copy take its new version.
     *
     * @return false when the row moved on (another writer won) and nothing was written; the caller's copy is stale
     */
    public boolean save(Migration m, List<OutboxEvent> events, Instant now) {
        return save(m, events, List.of(), null, now);
    }

    /**
     * As {@link #save(Migration, List, Instant)}, with the step attempt that led to this state in the step history
     * (none when {@code attempt} is null).
     */
    public boolean save(Migration m, List<OutboxEvent> events, StepHistory.Attempt attempt, Instant now) {
        return save(m, events, attempt == null ? List.of() : List.of(attempt), null, now);
    }

    /**
     * As {@link #save(Migration, List, Instant)}, with the step attempts that led to this state, in order; with a
     * {@code templateReportSpace}, a templates report of that space becomes due for the migration in the same
     * transaction ({@link TemplateReportStore}).
     */
    public boolean save(Migration m, List<OutboxEvent> events, List<StepHistory.Attempt> attempts,
                        String templateReportSpace, Instant now) {
        // the copy learns of its write only once it is committed: a group that fails writes each of its saves again
        boolean written = stepWrites.write(m.getMigrationId(), (connection, atEnd) -> {
            if (!writeRow(connection, m, now)) {
                return false;
            }
            outbox.add(atEnd, events, now);
            if (templateReportSpace != null) {
                atEnd.add("insert-template-report-due", Map.of("migrationId", m.getMigrationId(),
                        "custSpaceId", templateReportSpace, "dueAt", now));
            }
            for (StepHistory.Attempt attempt : attempts) {
                history.step(atEnd, m, attempt, now);
            }
            return true;
        });
        if (written) {
            m.updated();
        }
        return written;
    }

    /**
     * Writes a command's change: the migration (if nobody changed the row since it was read), the command as applied,
     * and its events, in one transaction.
     *
     * @return false when the row moved on and nothing was written
     */
    public boolean saveCommand(Migration m, ProcessedCommand command, List<OutboxEvent> events, Instant now) {
        return saveCommand(m, command, events, now, false) != Saved.NOT_WRITTEN;
    }

    /** What {@link #saveResume} wrote. */
    public enum Saved {
        /** The row moved on: nothing was written. */
        NOT_WRITTEN,
        WRITTEN,
        /** Written, and the provider pause the migration had raised ended with it. */
        WRITTEN_PAUSE_ENDED
    }

    /**
     * As {@link #saveCommand} for a {@code ResumeMigration}, and in the same transaction ends the provider pause the
     * migration raised: a person fixed what paused the provider's calls.
     */
    public Saved saveResume(Migration m, ProcessedCommand command, List<OutboxEvent> events, Instant now) {
        return saveCommand(m, command, events, now, true);
    }

    private Saved saveCommand(Migration m, ProcessedCommand command, List<OutboxEvent> events, Instant now,
                              boolean endPause) {
        return sql.inTransaction(connection -> {
            // the guarded update first: when it writes nothing, nothing else is written either (no rollback, which
            // would undo the other commands sharing this transaction, see Sql.inOneTransaction)
            if (!update(connection, m, now)) {
                return Saved.NOT_WRITTEN;
            }
            boolean pauseEnded = endPause && sql.update(connection, "delete-provider-pause-of-migration",
                    Map.of("migrationId", m.getMigrationId())) > 0;
            insertProcessed(connection, command, "APPLIED", now);
            outbox.add(connection, events, now);
            history.command(connection, command.commandId(), command.type(), m, now);
            return pauseEnded ? Saved.WRITTEN_PAUSE_ENDED : Saved.WRITTEN;
        });
    }

    /**
     * Records a command as rejected, with its rejection event (and, when an operator issued it, the operator action),
     * in one transaction.
     */
    public void saveRejection(ProcessedCommand command, String code, String message, OutboxEvent event, Instant now) {
        sql.inTransaction(connection -> {
            insertProcessed(connection, command, "REJECTED", now);
            outbox.add(connection, List.of(event), now);
            history.rejected(connection, command.commandId(), command.type(), command.migrationId(), code, message, now);
            return null;
        });
    }

    /** Records a {@code CheckMigration} as answered, with its {@code preflight.checked} event, in one transaction. */
    public void saveCheck(ProcessedCommand command, OutboxEvent event, Instant now) {
        sql.inTransaction(connection -> {
            insertProcessed(connection, command, "CHECKED", now);
            outbox.add(connection, List.of(event), now);
            return null;
        });
    }

    private void insertProcessed(Connection connection, ProcessedCommand command, String outcome, Instant now)
            throws SQLException {
        Map<String, Object> params = new HashMap<>();
        params.put("commandId", command.commandId());
        params.put("commandType", command.type());
        params.put("migrationId", command.migrationId());
        params.put("outcome", outcome);
        params.put("now", now);
        sql.update(connection, "insert-processed-command", params);
    }

    private void insert(Connection connection, Migration m, Instant now) throws SQLException {
        Migration.Row row = m.row();
        Map<String, Object> params = new HashMap<>();
        params.put("migrationId", row.migrationId());
        params.put("flow", row.flow());
        params.put("countryCode", row.countryCode());
        params.put("nationalNumber", row.nationalNumber());
        params.put("phoneE164", row.phoneE164());
        params.put("batchId", row.batchId());
        params.put("state", row.state().name());
        params.put("step", row.step());
        params.put("params", row.params().toString());
        params.put("secrets", sealSecrets(m, row));
        params.put("control", row.control().toString());
        params.put("now", now);
        sql.update(connection, "insert-migration", params);
        m.inserted(now);
    }

    /**
     * Writes the migration's current fields if nobody changed the row since it was read.
     *
     * @return false when the row moved on (another writer won); the caller's copy is then stale
     */
    private boolean update(Connection connection, Migration m, Instant now) throws SQLException {
        if (writeRow(connection, m, now)) {
            m.updated();
            return true;
        }
        return false;
    }

    /** Writes the copy over the row if the row is still at the copy's version; the copy itself stays as it is. */
    private boolean writeRow(Connection connection, Migration m, Instant now) throws SQLException {
        Migration.Row row = m.row();
        Map<String, Object> params = new HashMap<>();
        params.put("migrationId", row.migrationId());
        params.put("version", row.version());
        params.put("state", row.state().name());
        params.put("step", row.step());
        params.put("attempt", row.attempt());
        params.put("activePhone", row.state().isTerminal() ? null : row.phoneE164());
        params.put("secrets", sealSecrets(m, row));
        params.put("control", row.control().toString());
        params.put("result", row.result().toString());
        params.put("awaiting", row.awaiting() == null ? null : row.awaiting().name());
        params.put("awaitingReason", row.awaitingReason());
        params.put("expiresAt", row.expiresAt());
        params.put("lastError", row.lastError());
        params.put("pendingCall", row.pendingCall());
        params.put("nextAttemptAt", row.nextAttemptAt());
        params.put("claimOwner", row.claimOwner());
        params.put("claimToken", row.claimToken());
        params.put("claimedUntil", row.claimedUntil());
        params.put("now", now);
        return sql.update(connection, "update-migration", params) == 1;
    }

    /**
     * The secrets sealed under the current key: the value the row already holds when they did not change since it was
     * read or written under that key (a seal costs a key setup and AES-GCM on every step otherwise), a new seal when
     * they changed or the row holds them under a previous key, so a row read under a previous key moves to the
     * current one on its next write.
     */
    private String sealSecrets(Migration m, Migration.Row row) {
        if (row.secrets().isEmpty()) {
            return null;
        }
        String stored = m.storedSealedSecrets();
        if (stored != null) {
            return stored;
        }
        try {
            String sealed = secretBox.encrypt(json.writeValueAsString(row.secrets()), row.migrationId());
            m.secretsStored(sealed, row.secrets());
            return sealed;
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
        Columns read = new Columns(row.getString("migration_id"), row.getString("flow"), row.getString("country_code"),
                row.getString("national_number"), row.getString("phone_e164"), row.getString("batch_id"),
                row.getString("step"),
                row.getInt("attempt"), row.getLong("version"));
        MigrationState state = read.readable("state", () -> MigrationState.valueOf(row.getString("state")));
        ObjectNode params = read.readable("params", () -> jsonObject(row.getString("params")));
        ObjectNode result = read.readable("result", () -> jsonObject(row.getString("result")));
        String sealed = row.getString("secrets");
        Map<String, String> opened = sealed == null ? Map.of() : read.readable("secrets",
                () -> json.readValue(secretBox.decrypt(sealed, read.migrationId()), STRING_MAP));
        Map<String, String> secrets = opened;
        String controlText = row.getString("control");
        ObjectNode control = controlText == null ? json.createObjectNode()
                : read.readable("control", () -> jsonObject(controlText));
        secrets = moveOlderControl(secrets, control);
        String awaiting = row.getString("awaiting");
        Awaiting awaitingKind = awaiting == null ? null : read.readable("awaiting", () -> Awaiting.valueOf(awaiting));
        Migration m = Migration.of(new Migration.Row(read.migrationId(), read.flow(), read.countryCode(),
                read.nationalNumber(), read.phoneE164(), read.batchId(), state, read.step(), read.attempt(), params, secrets, control, result,
                awaitingKind, row.getString("awaiting_reason"), Sql.instant(row, "expires_at"),
                row.getString("last_error"), row.getString("pending_call"), Sql.instant(row, "next_attempt_at"),
                row.getString("claim_owner"), row.getString("claim_token"), Sql.instant(row, "claimed_until"),
                read.version()), clock);
        if (sealed != null && secretBox.isSealedUnderCurrentKey(sealed)) {
            m.secretsStored(sealed, opened);
        }
        return m;
    }

    /**
     * Rows written before the {@code control} column kept its counters and flags with the secrets: they are taken
     * out of the secrets here (a value already in {@code control} wins), so the next write seals the secrets without
     * them and writes them to {@code control}. A row that is only read stays as it is.
     */
    private static Map<String, String> moveOlderControl(Map<String, String> secrets, ObjectNode control) {
        if (secrets.keySet().stream().noneMatch(MigrationStore::isOlderControl)) {
            return secrets;
        }
        Map<String, String> kept = new HashMap<>();
        secrets.forEach((name, value) -> {
            if (!isOlderControl(name)) {
                kept.put(name, value);
            } else if (!control.has(name)) {
                if (value.matches("\\d{1,9}")) {
                    control.put(name, Integer.parseInt(value));
                } else if ("true".equals(value)) {
                    control.put(name, true);
                } else {
                    control.put(name, value);
                }
            }
        });
        return kept;
    }

    private static boolean isOlderControl(String secretName) {
        return OLDER_CONTROL.contains(secretName) || secretName.startsWith("sendsInDoubt:");
    }

    /** The plain columns, read first: they name the row when another column cannot be read. */
    private record Columns(String migrationId, String flow, String countryCode, String nationalNumber,
                           String phoneE164, String batchId, String step, int attempt, long version) {

        /** Reads one column's value; what cannot be read becomes an {@link UnreadableMigration} naming the column. */
        <T> T readable(String column, ColumnReader<T> reader) throws SQLException {
            try {
                return reader.read();
            } catch (SQLException e) {
                throw e;
            } catch (Exception e) {
                // the message names the column and the kind of failure only: a decryption error may not say more
                String problem = "secrets".equals(column) ? "secrets cannot be decrypted (was SECRETS_KEY changed?)"
                        : column + " cannot be read (" + e.getClass().getSimpleName() + ")";
                throw new UnreadableMigration(migrationId, flow, countryCode, nationalNumber, phoneE164, batchId, step,
                        attempt, version, problem);
            }
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
