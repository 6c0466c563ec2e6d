package dev.wabamigrator.outbox;

import dev.wabamigrator.store.Outbox;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the outbox to the events topic. One instance at a time holds the {@code outbox-publisher} lease, so
 * events leave in the order they were recorded (per number, per partition); rows are marked only after Kafka
 * acknowledged them, so a crash republishes (same event ids) rather than loses.
 *
 * <p>The lease is fenced (ADR 0005). Each time it changes hands it gets a new random token; renewing it and marking
 * rows published both need the token still on the lease row, so a publisher that lost the lease can neither extend
 * it nor mark rows another one is sending. Kafka itself cannot check the token, so a send is bounded in time
 * instead: a batch goes out only while the lease has more time left than the longest a send can take
 * ({@link Timing#sendBound()}: the producer's {@code max.block.ms} + {@code delivery.timeout.ms}) plus a margin for
 * clock differences between instances. Every record has then either landed or failed before another instance can
 * take the lease over, and events for a number stay in order across a hand-over.
 *
 * <p>One clock, the instance's {@link Clock}, measures both the lease and the time left for a send.
 */
public final class OutboxPublisher {
    static final String SEQS = "outboxSeqs";
    static final String TOKEN = "outboxLeaseToken";
    static final String HELD_UNTIL = "outboxLeaseHeldUntil";
    static final String CONTENT_TYPE = "content-type";
    /** CloudEvents Kafka protocol binding: a record with this header is read in structured mode. */
    static final String CLOUDEVENTS_JSON = "application/cloudevents+json";
    private static final String LEASE = "outbox-publisher";
    private static final Logger LOG = LoggerFactory.getLogger(OutboxPublisher.class);

    /**
     * How long the lease lasts, the longest one batch's send can take before every record of it has landed or
     * failed, and the extra time kept for clock differences between instances and the pause before the send.
     */
    public record Timing(Duration lease, Duration sendBound, Duration clockMargin) {
        public Timing {
            if (lease.compareTo(sendBound.plus(clockMargin)) <= 0) {
                throw new IllegalArgumentException("app.outbox.lease-ms (" + lease.toMillis() + ") must be longer"
                        + " than the longest send, app.outbox.send.max-block-ms + delivery-timeout-ms ("
                        + sendBound.toMillis() + "), plus app.outbox.clock-margin-ms (" + clockMargin.toMillis() + ")");
            }
        }

        /** The lease time a batch needs left when its send starts. */
        Duration neededToSend() {
            return sendBound.plus(clockMargin);
        }
    }

    private final Outbox outbox;
    private final Clock clock;
    private final String owner;
    private final int batchSize;
    private final Timing timing;
    /** The token of the lease this instance holds, or null. Only the (synchronous) publishing route uses it. */
    private volatile String token;

    public OutboxPublisher(Outbox outbox, Clock clock, String owner, int batchSize, Timing timing) {
        this.outbox = outbox;
        this.clock = clock;
        this.owner = owner;
        this.batchSize = batchSize;
        this.timing = timing;
    }

    /**
     * Renews the lease (or takes it over once it expired, with a new token), then returns the next batch of
     * unpublished events as Kafka messages (key = phone number), or none without the lease.
     */
    public List<Message> nextBatch(Exchange exchange) {
        Instant now = clock.instant();
        Instant until = now.plus(timing.lease());
        String current = token;
        Outbox.Leased held = outbox.leaseAndRead(LEASE, owner, current, until, now, batchSize);
        if (held == null) {
            if (current != null) {
                LOG.warn("outbox-publisher lease passed to another instance: this one stops publishing");
            }
            token = null;
            exchange.setProperty(SEQS, List.of());
            return List.of();
        }
        if (!held.token().equals(current)) {
            LOG.info("outbox-publisher lease taken by {}", owner);
        }
        token = held.token();
        List<Long> seqs = new ArrayList<>(held.events().size());
        List<Message> batch = new ArrayList<>(held.events().size());
        for (Outbox.Unpublished event : held.events()) {
            seqs.add(event.seq());
            batch.add(message(exchange, event.key(), event.payload()));
        }
        exchange.setProperty(SEQS, seqs);
        exchange.setProperty(TOKEN, held.token());
        exchange.setProperty(HELD_UNTIL, until);
        return batch;
    }

    /**
     * True when the batch may go to Kafka now: it is not empty, and the lease has enough time left that every record
     * lands or fails before another instance can take the lease (a pause since {@link #nextBatch} may have eaten it).
     */
    public boolean mayPublish(Exchange exchange) {
        List<?> seqs = exchange.getProperty(SEQS, List.class);
        if (seqs == null || seqs.isEmpty()) {
            return false;
        }
        Duration left = Duration.between(clock.instant(), exchange.getProperty(HELD_UNTIL, Instant.class));
        if (left.compareTo(timing.neededToSend()) < 0) {
            LOG.warn("outbox batch of {} held back: the lease has {} ms left, a send needs {} ms; it is read again"
                    + " on the next run", seqs.size(), left.toMillis(), timing.neededToSend().toMillis());
            return false;
        }
        return true;
    }

    /**
     * Deletes the events published more than {@code retentionDays} ago: the events topic is their record, and the
     * outbox keeps them only for a person to look at for a while (prune-published-events route).
     *
     * @return the rows deleted
     */
    public int prunePublished(int retentionDays) {
        return outbox.prunePublished(clock.instant().minus(Duration.ofDays(retentionDays)));
    }

    /**
     * Called once Kafka acknowledged the whole batch: marks its rows published, provided the lease still carries
     * this batch's token (the lease row stays locked until the marks commit, so it cannot change hands in between).
     * Returns how many rows were marked: none when the lease was lost, and the new holder sends them again.
     */
    public int markPublished(Exchange exchange) {
        @SuppressWarnings("unchecked")
        List<Long> seqs = exchange.getProperty(SEQS, List.class);
        String batchToken = exchange.getProperty(TOKEN, String.class);
        Instant now = clock.instant();
        int marked = outbox.markPublished(LEASE, owner, batchToken, seqs, now) ? seqs.size() : 0;
        if (marked == 0 && !seqs.isEmpty()) {
            LOG.warn("outbox-publisher lease lost before {} published events were marked: the new holder sends"
                    + " them again (same event ids)", seqs.size());
            if (batchToken.equals(token)) {
                token = null;
            }
        }
        return marked;
    }

    private static Message message(Exchange exchange, String key, String payload) {
        Message message = new DefaultMessage(exchange.getContext());
        message.setBody(payload);
        if (key != null) {
            message.setHeader(KafkaConstants.KEY, key);
        }
        // a record header per event; the route sends the batch with batchWithIndividualHeaders, or it is dropped
        message.setHeader(CONTENT_TYPE, CLOUDEVENTS_JSON);
        return message;
    }
}
