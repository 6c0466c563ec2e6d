package dev.wabamigrator.store;

import dev.wabamigrator.event.OutboxEvent;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The outbox table and the publisher's lease. Events are added in the transaction that changes the migration, so
 * an event exists exactly when its change does; the publisher reads them in order under a fenced lease.
 */
public final class Outbox {

    /** An event not yet published: its position, Kafka key and CloudEvent JSON. */
    public record Unpublished(long seq, String key, String payload) {
    }

    /** The lease as held after {@link #leaseAndRead}, and the next events to publish under it. */
    public record Leased(String token, List<Unpublished> events) {
    }

    private final Sql sql;

    public Outbox(Sql sql) {
        this.sql = sql;
    }

    /** Adds events in the caller's transaction. */
    public void add(Connection connection, List<OutboxEvent> events, Instant now) throws SQLException {
        sql.batch(connection, "insert-outbox-event", rows(events, now));
    }

    /** Adds events at the end of the caller's transaction. */
    public void add(Batches atEnd, List<OutboxEvent> events, Instant now) {
        atEnd.addAll("insert-outbox-event", rows(events, now));
    }

    private static List<Map<String, Object>> rows(List<OutboxEvent> events, Instant now) {
        List<Map<String, Object>> rows = new ArrayList<>(events.size());
        for (OutboxEvent event : events) {
            Map<String, Object> row = new HashMap<>();
            row.put("eventId", event.eventId());
            row.put("eventType", event.type());
            row.put("kafkaKey", event.key());
            row.put("payload", event.payload());
            row.put("now", now);
            rows.add(row);
        }
        return rows;
    }

    /**
     * In one transaction: renews the lease held with {@code token} (or, when that fails or there is none, takes it
     * over with a new token once it expired), then reads up to {@code limit} unpublished events in order.
     *
     * @return null when another owner holds the lease
     */
    public Leased leaseAndRead(String lease, String owner, String token, Instant until, Instant now, int limit) {
        return sql.inTransaction(connection -> {
            String heldToken = token;
            if (heldToken == null || sql.update(connection, "renew-lease", Map.of("name", lease, "owner", owner,
                    "token", heldToken, "until", until)) == 0) {
                heldToken = UUID.randomUUID().toString();
                if (sql.update(connection, "acquire-lease", Map.of("name", lease, "owner", owner, "token", heldToken,
                        "until", until, "now", now)) == 0) {
                    return null;
                }
            }
            List<Unpublished> events = sql.query(connection, "find-unpublished-events", Map.of("limit", limit),
                    row -> new Unpublished(row.getLong("seq"), row.getString("kafka_key"), row.getString("payload")));
            return new Leased(heldToken, events);
        });
    }

    /**
     * Deletes the events published before {@code cutoff}; an event not yet published stays, however old.
     *
     * @return the rows deleted
     */
    public int prunePublished(Instant cutoff) {
        return sql.update("prune-published-events", Map.of("cutoff", cutoff));
    }

    /**
     * Marks events published, provided the lease still carries {@code token}: its row stays locked until the marks
     * commit, so it cannot change hands in between.
     *
     * @return false when the lease was lost and nothing was marked
     */
    public boolean markPublished(String lease, String owner, String token, List<Long> seqs, Instant now) {
        return sql.inTransaction(connection -> {
            boolean current = !sql.query(connection, "lock-lease", Map.of("name", lease, "owner", owner,
                    "token", token), row -> row.getString("token")).isEmpty();
            if (current) {
                sql.batch(connection, "mark-event-published", seqs.stream().map(seq -> Map.<String, Object>of(
                        "seq", seq, "now", now)).toList());
            }
            return current;
        });
    }
}
