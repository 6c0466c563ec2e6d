package dev.wabamigrator.store;

import dev.wabamigrator.engine.Awaiting;
import dev.wabamigrator.engine.MigrationState;
import dev.wabamigrator.event.OutboxEvent;
import dev.wabamigrator.progress.BatchProgress;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The tables behind {@code waba.migration.batch.progress}: which batches changed, their counts, what was last
 * published per batch, and how far the migration changes were read. Every write happens under the
 * {@code batch-progress} lease, checked by token on the locked lease row (as the outbox publisher's marks are,
 * ADR 0005), so only one instance at a time publishes a batch's progress.
 */
public final class BatchProgressStore {
    private static final String LEASE = "batch-progress";

    /** The lease after {@link #leaseAndFindChanged}, and the batches to look at under it. */
    public record Leased(String token, Set<String> batchIds) {
    }

    /** What was last published for a batch. */
    public record Published(String counts, boolean settled, boolean finished, Instant publishedAt, boolean heldBack) {
    }

    private final Sql sql;

    public BatchProgressStore(Sql sql) {
        this.sql = sql;
    }

    /**
     * In one transaction: renews the lease held with {@code token} (or takes it over, with a new token, once it
     * expired), then returns the batches whose migrations changed after {@code scanned until - lookBack}, and those
     * whose last change the minimum interval held back.
     *
     * @return null when another instance holds the lease
     */
    public Leased leaseAndFindChanged(String owner, String token, Instant until, Instant now,
                                      java.time.Duration lookBack) {
        return sql.inTransaction(connection -> {
            String heldToken = token;
            if (heldToken == null || sql.update(connection, "renew-lease", Map.of("name", LEASE, "owner", owner,
                    "token", heldToken, "until", until)) == 0) {
                heldToken = UUID.randomUUID().toString();
                if (sql.update(connection, "acquire-lease", Map.of("name", LEASE, "owner", owner, "token", heldToken,
                        "until", until, "now", now)) == 0) {
                    return null;
                }
            }
            List<Instant> scanned = sql.query(connection, "find-batch-progress-scan", Map.of(),
                    row -> Sql.instant(row, "scanned_until"));
            Instant since = scanned.isEmpty() || scanned.get(0) == null ? Instant.EPOCH : scanned.get(0).minus(lookBack);
            Set<String> batchIds = new TreeSet<>(sql.query(connection, "find-changed-batches", Map.of("since", since),
                    row -> row.getString("batch_id")));
            batchIds.addAll(sql.query(connection, "find-held-back-batches", Map.of(), row -> row.getString("batch_id")));
            return new Leased(heldToken, batchIds);
        });
    }

    /**
     * Runs {@code work} in one transaction that holds the lease row locked, provided this instance still holds the
     * lease with {@code token}; while the row is locked the lease cannot change hands.
     *
     * @return false when the lease was lost (nothing done)
     */
    public boolean underLease(String owner, String token, Sql.Work<?> work) {
        return sql.inTransaction(connection -> {
            if (!locked(connection, owner, token)) {
                return false;
            }
            work.run(connection);
            return true;
        });
    }

    /** Counts the batch's migrations by flow, state and awaiting kind, and which changed after {@code windowStart}. */
    public BatchProgress.Counter count(Connection connection, String batchId, Instant windowStart) throws SQLException {
        BatchProgress.Counter counter = new BatchProgress.Counter(batchId);
        sql.query(connection, "count-batch-migrations", Map.of("batchId", batchId, "windowStart", windowStart), row -> {
            String awaiting = row.getString("awaiting");
            return counter.add(row.getString("flow"), MigrationState.valueOf(row.getString("state")),
                    awaiting == null ? null : Awaiting.valueOf(awaiting), row.getInt("migrations"),
                    row.getInt("changed_in_window"), Sql.instant(row, "first_created_at"));
        });
        return counter;
    }

    /** What was last published for the batch, or null before its first publication. */
    public Published lastPublished(Connection connection, String batchId) throws SQLException {
        List<Published> found = sql.query(connection, "find-batch-progress", Map.of("batchId", batchId),
                row -> new Published(row.getString("counts"), row.getBoolean("settled"), row.getBoolean("finished"),
                        Sql.instant(row, "published_at"), row.getBoolean("held_back")));
        return found.isEmpty() ? null : found.get(0);
    }

    /**
     * Puts {@code event} in the outbox and records it as the batch's last publication, in the caller's transaction:
     * the two never disagree, and a crash before the commit leaves the change to be found again.
     */
    public void published(Connection connection, Outbox outbox, OutboxEvent event, String batchId, String counts,
                          boolean settled, boolean finished, boolean first, Instant now) throws SQLException {
        outbox.add(connection, List.of(event), now);
        Map<String, Object> params = new HashMap<>();
        params.put("batchId", batchId);
        params.put("counts", counts);
        params.put("settled", settled);
        params.put("finished", finished);
        params.put("now", now);
        sql.update(connection, first ? "insert-batch-progress" : "update-batch-progress", params);
    }

    /** Notes that the batch has a change the minimum interval holds back (true), or no longer has one (false). */
    public void heldBack(Connection connection, String batchId, boolean heldBack) throws SQLException {
        sql.update(connection, "hold-back-batch-progress", Map.of("batchId", batchId, "heldBack", heldBack));
    }

    /** Moves the mark up to which migration changes were read, provided the lease is still held. */
    public boolean markScanned(String owner, String token, Instant until) {
        return sql.inTransaction(connection -> {
            if (!locked(connection, owner, token)) {
                return false;
            }
            sql.update(connection, "update-batch-progress-scan", Map.of("until", until));
            return true;
        });
    }

    private boolean locked(Connection connection, String owner, String token) throws SQLException {
        return !sql.query(connection, "lock-lease", Map.of("name", LEASE, "owner", owner, "token", token),
                row -> row.getString("token")).isEmpty();
    }
}
