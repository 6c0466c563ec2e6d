package dev.wabamigrator.event;

import dev.wabamigrator.engine.Sql;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultMessage;

/**
 * Feeds the outbox to the events topic. One instance at a time holds the {@code outbox-publisher} lease, so
 * events leave in the order they were recorded (per number, per partition); rows are marked only after Kafka
 * acknowledged them, so a crash republishes (same event ids) rather than loses.
 */
public final class OutboxPublisher {
    static final String SEQS = "outboxSeqs";
    private static final String LEASE = "outbox-publisher";

    private final Sql sql;
    private final Clock clock;
    private final String owner;
    private final int batchSize;
    private final Duration lease;

    public OutboxPublisher(Sql sql, Clock clock, String owner, int batchSize, Duration lease) {
        this.sql = sql;
        this.clock = clock;
        this.owner = owner;
        this.batchSize = batchSize;
        this.lease = lease;
    }

    /** The next batch of unpublished events as Kafka messages (key = phone number), or none without the lease. */
    public List<Message> nextBatch(Exchange exchange) {
        Instant now = clock.instant();
        List<Long> seqs = new ArrayList<>();
        List<Message> batch = sql.inTransaction(connection -> {
            int held = sql.update(connection, "acquire-lease", Map.of("name", LEASE, "owner", owner,
                    "until", now.plus(lease), "now", now));
            if (held == 0) {
                return List.<Message>of();
            }
            return sql.query(connection, "find-unpublished-events", Map.of("limit", batchSize), row -> {
                seqs.add(row.getLong("seq"));
                Message message = new DefaultMessage(exchange.getContext());
                message.setBody(row.getString("payload"));
                String key = row.getString("kafka_key");
                if (key != null) {
                    message.setHeader(KafkaConstants.KEY, key);
                }
                message.setHeader("content-type", "application/cloudevents+json");
                return message;
            });
        });
        exchange.setProperty(SEQS, seqs);
        return batch;
    }

    /** Called once Kafka acknowledged the whole batch. */
    public void markPublished(Exchange exchange) {
        @SuppressWarnings("unchecked")
        List<Long> seqs = exchange.getProperty(SEQS, List.class);
        Instant now = clock.instant();
        sql.inTransaction(connection -> {
            sql.batch(connection, "mark-event-published", seqs.stream().map(seq -> Map.<String, Object>of(
                    "seq", seq, "now", now)).toList());
            return null;
        });
    }
}
