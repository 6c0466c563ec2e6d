package dev.wabamigrator.engine;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims due migrations for this instance. A claim is a lease on the row ({@code claimed_until}), kept alive by
 * {@link #extendClaims()} while this instance lives: if it dies, the lease runs out and any instance takes over.
 * On PostgreSQL the claim skips rows other instances have locked, so no step runs twice concurrently.
 */
public final class MigrationScheduler {
    private static final Logger LOG = LoggerFactory.getLogger(MigrationScheduler.class);

    private final MigrationStore store;
    private final Clock clock;
    private final String instanceId = "instance-" + UUID.randomUUID();
    private final int maxInFlight;
    private final int batchSize;
    private final Duration lease;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Migrations a worker of this instance holds now: only these leases are kept alive. */
    private final Map<String, Migration> working = new ConcurrentHashMap<>();

    public MigrationScheduler(MigrationStore store, Clock clock, int maxInFlight, int batchSize, Duration lease) {
        this.store = store;
        this.clock = clock;
        this.maxInFlight = maxInFlight;
        this.batchSize = batchSize;
        this.lease = lease;
    }

    /** Claims as many due migrations as there is room for; each goes to one worker. */
    public List<Migration> claimDue() {
        int room = Math.min(batchSize, maxInFlight - inFlight.get());
        if (room <= 0) {
            return List.of();
        }
        Instant now = clock.instant();
        String token = UUID.randomUUID().toString();
        List<Migration> claimed = store.sql().inTransaction(connection -> {
            int rows = store.sql().update(connection, "claim-due-migrations", Map.of("owner", instanceId,
                    "token", token, "until", now.plus(lease), "now", now, "limit", room));
            return rows == 0 ? List.<Migration>of() : store.findClaimed(connection, token);
        });
        inFlight.addAndGet(claimed.size());
        claimed.forEach(m -> working.put(m.migrationId, m));
        return claimed;
    }

    /** Ends a worker's turn: gives the claim back if the steps did not already (they do when they park). */
    public void release(Migration m) {
        inFlight.decrementAndGet();
        working.remove(m.migrationId); // from now on its lease runs out by itself, even if the update below fails
        if (m.claimToken != null && !m.claimLost) {
            store.sql().update("release-claim", Map.of("migrationId", m.migrationId, "token", m.claimToken));
            StepRecorder.releaseClaim(m);
        }
    }

    /** Keeps the leases of the migrations this instance's workers hold alive; runs several times per lease. */
    public void extendClaims() {
        List<String> ids = List.copyOf(working.keySet());
        if (ids.isEmpty()) {
            return;
        }
        Instant until = clock.instant().plus(lease);
        store.sql().inTransaction(connection -> {
            store.sql().batch(connection, "extend-claim", ids.stream().map(id -> Map.<String, Object>of(
                    "migrationId", id, "owner", instanceId, "until", until)).toList());
            return null;
        });
        // the worker's copy too: each step it records writes claimed_until back, and a stale value would let the
        // lease of a migration held longer than a lease (e.g. waiting for a rate slot) run out under its worker
        for (String id : ids) {
            Migration m = working.get(id);
            if (m != null && m.claimToken != null) {
                m.claimedUntil = until;
            }
        }
        LOG.debug("extended {} claims", ids.size());
    }

    public int inFlight() {
        return inFlight.get();
    }

    public String instanceId() {
        return instanceId;
    }
}
