package dev.wabamigrator.progress;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.event.MigrationEvents;
import dev.wabamigrator.store.BatchProgressStore;
import dev.wabamigrator.store.Outbox;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes {@code waba.migration.batch.progress} for each batch whose migrations changed, through the outbox.
 *
 * <p>It finds changed batches from the time the migration rows' state or awaiting kind last changed
 * ({@code state_changed_at}, what its counts count), so steps write nothing for it. A batch's
 * progress goes out when its counts changed, at most once per minimum interval; the publication that first shows
 * the batch settled (nothing RUNNING) or finished (everything ended) goes out at once. A change held back by the
 * interval is remembered in the database and published when the interval is over.
 *
 * <p>One instance at a time publishes, holding the {@code batch-progress} lease; every write checks its token on
 * the locked lease row. How far migration changes were read is stored too, and moved only after every changed batch
 * was handled: a crash, or another instance taking over, reads them again, so no publication (the last "finished"
 * one included) is lost. Changes are read again from a little before that mark ({@code lookBack}), since a step's
 * transaction commits a moment after the change time it writes and instances' clocks differ.
 */
public final class BatchProgressPublisher {
    static final String TOKEN = "batchProgressLeaseToken";
    static final String SCANNED_UNTIL = "batchProgressScannedUntil";
    private static final Logger LOG = LoggerFactory.getLogger(BatchProgressPublisher.class);

    /** The publisher's timing: lease length, minimum interval per batch, how far back changes are read again. */
    public record Timing(Duration lease, Duration minInterval, Duration lookBack) {
    }

    private final BatchProgressStore store;
    private final Outbox outbox;
    private final MigrationEvents events;
    private final ObjectMapper json;
    private final Clock clock;
    private final String owner;
    private final Timing timing;
    private final BatchProgress.Pace pace;
    /** The token of the lease this instance holds, or null. Only the (synchronous) publishing route uses it. */
    private volatile String token;

    public BatchProgressPublisher(BatchProgressStore store, Outbox outbox, MigrationEvents events, ObjectMapper json,
                                  Clock clock, String owner, Timing timing, BatchProgress.Pace pace) {
        this.store = store;
        this.outbox = outbox;
        this.events = events;
        this.json = json;
        this.clock = clock;
        this.owner = owner;
        this.timing = timing;
        this.pace = pace;
    }

    /** Renews (or takes) the lease and returns the batches to look at: none without the lease. */
    public List<String> changedBatches(Exchange exchange) {
        Instant now = clock.instant();
        String current = token;
        BatchProgressStore.Leased held = store.leaseAndFindChanged(owner, current, now.plus(timing.lease()), now,
                timing.lookBack());
        if (held == null) {
            if (current != null) {
                LOG.warn("batch-progress lease passed to another instance: this one stops publishing batch progress");
            }
            token = null;
            return List.of();
        }
        if (!held.token().equals(current)) {
            LOG.info("batch-progress lease taken by {}", owner);
        }
        token = held.token();
        exchange.setProperty(TOKEN, held.token());
        exchange.setProperty(SCANNED_UNTIL, now);
        return List.copyOf(held.batchIds());
    }

    /**
     * Counts one batch and publishes its progress if it changed and may go out now; otherwise notes it as held back.
     * Throws when the lease was lost, which stops this run before the read mark moves.
     */
    public void publish(Exchange exchange) {
        String batchId = exchange.getMessage().getBody(String.class);
        String leaseToken = exchange.getProperty(TOKEN, String.class);
        Instant now = clock.instant();
        boolean held = store.underLease(owner, leaseToken, connection -> {
            BatchProgress progress = store.count(connection, batchId, now.minus(pace.rateWindow())).progress(now, pace);
            if (progress.total() == 0) {
                return null; // only damaged rows, not yet set aside: nothing to count until they are
            }
            BatchProgressStore.Published last = store.lastPublished(connection, batchId);
            String counts = counts(progress);
            if (last != null && last.counts().equals(counts)) {
                if (last.heldBack()) {
                    store.heldBack(connection, batchId, false); // changed and changed back: nothing new to say
                }
                return null;
            }
            if (last == null || mayPublishNow(progress, last, now)) {
                store.published(connection, outbox, events.batchProgress(progress, now), batchId, counts,
                        progress.settled(), progress.finished(), last == null, now);
                LOG.debug("batch {} progress published: {}", batchId, counts);
            } else if (!last.heldBack()) {
                store.heldBack(connection, batchId, true);
            }
            return null;
        });
        if (!held) {
            token = null;
            throw new IllegalStateException("batch-progress lease lost while publishing batch " + batchId
                    + ": the new holder reads the changes again");
        }
    }

    /** Once every changed batch was handled: moves the read mark, so the next run reads only newer changes. */
    public void markScanned(Exchange exchange) {
        String leaseToken = exchange.getProperty(TOKEN, String.class);
        Instant until = exchange.getProperty(SCANNED_UNTIL, Instant.class);
        if (leaseToken != null && !store.markScanned(owner, leaseToken, until)) {
            token = null;
        }
    }

    /** Settling and finishing are news at once; any other change waits for the minimum interval. */
    private boolean mayPublishNow(BatchProgress progress, BatchProgressStore.Published last, Instant now) {
        return (progress.settled() && !last.settled())
                || (progress.finished() && !last.finished())
                || !now.isBefore(last.publishedAt().plus(timing.minInterval()));
    }

    /** The counts a publication is compared by (the rate and ETA move with time alone, so they are left out). */
    private String counts(BatchProgress progress) {
        ObjectNode counts = json.createObjectNode();
        counts.put("total", progress.total());
        ObjectNode states = counts.putObject("states");
        progress.states().forEach((state, count) -> states.put(state.name(), count));
        ObjectNode awaiting = counts.putObject("awaiting");
        progress.awaiting().forEach((kind, count) -> awaiting.put(kind.name(), count));
        return counts.toString();
    }
}
