package dev.wabamigrator.store;

import dev.wabamigrator.event.OutboxEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The templates reports owed for completed ALIBABA_CHATAPP migrations (Flyway V12). A record is written with the
 * migration's completion ({@link MigrationStore#save(dev.wabamigrator.engine.Migration, List, StepHistory.Attempt,
 * String, Instant)}), claimed with a lease (SKIP LOCKED on PostgreSQL, so instances share them), and deleted in the
 * transaction that adds its report to the outbox.
 */
public final class TemplateReportStore {

    /** A report owed for {@code migrationId}, listing the space {@code custSpaceId}. */
    public record Due(String migrationId, String custSpaceId) {
    }

    private final Sql sql;
    private final Outbox outbox;

    public TemplateReportStore(Sql sql, Outbox outbox) {
        this.sql = sql;
        this.outbox = outbox;
    }

    /** Claims up to {@code limit} due records nobody holds, for {@code owner} with {@code token} until {@code until}. */
    public List<Due> claim(String owner, String token, Instant until, Instant now, int limit) {
        return sql.inTransaction(connection -> {
            int claimed = sql.update(connection, "claim-template-reports", Map.of("owner", owner, "token", token,
                    "until", until, "now", now, "limit", limit));
            return claimed == 0 ? List.<Due>of() : sql.query(connection, "find-claimed-template-reports",
                    Map.of("token", token), row -> new Due(row.getString("migration_id"), row.getString("cust_space_id")));
        });
    }

    /**
     * Adds the report to the outbox and deletes its record, in one transaction, if the record still carries
     * {@code token} (a claim that ran out may have passed to another instance, which reports it instead).
     *
     * @return false when the claim was lost and nothing was written
     */
    public boolean report(String migrationId, String token, OutboxEvent event, Instant now) {
        return sql.inTransaction(connection -> {
            if (sql.update(connection, "delete-template-report-due",
                    Map.of("migrationId", migrationId, "token", token)) == 0) {
                return false;
            }
            if (event != null) {
                outbox.add(connection, List.of(event), now);
            }
            return true;
        });
    }

    /** Lengthens the claims of {@code token} (a long listing). */
    public void extend(String token, Instant until) {
        sql.update("extend-template-report-claims", Map.of("token", token, "until", until));
    }

    /** Gives back the records of {@code token} not reported, for the next poll. */
    public void release(String token) {
        sql.update("release-template-reports", Map.of("token", token));
    }
}
