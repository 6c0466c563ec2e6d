package dev.wabamigrator.engine;

import dev.wabamigrator.event.EventTypes;
import dev.wabamigrator.event.MigrationEvents;
import dev.wabamigrator.store.MigrationStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    private final MigrationEvents events;
    private final FlowRegistry flows;
    private final Clock clock;
    private final String instanceId = "instance-" + UUID.randomUUID();
    private final int maxInFlight;
    private final int batchSize;
    private final Duration lease;
    private final int maxWaitingForRate;
    /** Migrations that hold a claim and work (a step, a call): counted against max-in-flight. */
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Migrations that hold a claim but only wait for a provider rate slot: not counted against max-in-flight. */
    private final Set<String> waitingForRate = ConcurrentHashMap.newKeySet();
    /** Migrations a worker of this instance holds now: only these leases are kept alive. */
    private final Map<String, Migration> working = new ConcurrentHashMap<>();

    public MigrationScheduler(MigrationStore store, MigrationEvents events, FlowRegistry flows, Clock clock,
                              int maxInFlight, int batchSize, Duration lease) {
        this(store, events, flows, clock, maxInFlight, 0, batchSize, lease);
    }

    /**
     * @param maxWaitingForRate how many claimed migrations may wait for a provider rate slot beyond max-in-flight
     *                          (each costs an exchange in memory and no thread)
     */
    public MigrationScheduler(MigrationStore store, MigrationEvents events, FlowRegistry flows, Clock clock,
                              int maxInFlight, int maxWaitingForRate, int batchSize, Duration lease) {
        this.maxWaitingForRate = maxWaitingForRate;
        this.store = store;
        this.events = events;
        this.flows = flows;
        this.clock = clock;
        this.maxInFlight = maxInFlight;
        this.batchSize = batchSize;
        this.lease = lease;
    }

    /**
     * Claims as many due migrations as there is room for; each goes to one worker. A claimed row that cannot be
     * read is set aside for a person (its own transaction, after the claim's), and the others go on.
     */
    public List<Migration> claimDue() {
        int busy = inFlight.get();
        int room = Math.min(batchSize, Math.min(maxInFlight - busy,
                maxInFlight + maxWaitingForRate - busy - waitingForRate.size()));
        if (room <= 0) {
            return List.of();
        }
        Instant now = clock.instant();
        String token = UUID.randomUUID().toString();
        List<Object> rows = store.claimDue(instanceId, token, now.plus(lease), now, room);
        List<Migration> claimed = new ArrayList<>(rows.size());
        for (Object row : rows) {
            if (row instanceof Migration m && flows.find(m.getFlow()).isPresent()) {
                claimed.add(m);
            } else {
                setAside(row instanceof Migration m ? UnreadableMigration.unknownFlow(m) : (UnreadableMigration) row);
            }
        }
        inFlight.addAndGet(claimed.size());
        claimed.forEach(m -> working.put(m.getMigrationId(), m));
        return claimed;
    }

    /**
     * AWAITING_INPUT / HUMAN_ACTION with error UNREADABLE_STATE, and an awaiting-input event with what is readable.
     * A failure here is logged and left: the claim's lease runs out and the next claim tries again.
     */
    private void setAside(UnreadableMigration row) {
        Instant now = clock.instant();
        String reason = row.problem() + "; repair the row (or restore the key), then send ResumeMigration";
        ProviderError error = ProviderError.of("engine", UnreadableMigration.CODE, row.problem(), ErrorClass.NEEDS_HUMAN);
        MigrationEvents.Snapshot snapshot = new MigrationEvents.Snapshot(row.migrationId(), row.flow(),
                row.countryCode(), row.nationalNumber(), row.phoneE164(), row.batchId(), MigrationState.AWAITING_INPUT.name(),
                row.step(), row.attempt(), Map.of());
        try {
            boolean written = store.setAside(row, reason, events.error(error).toString(),
                    events.migrationEvent(EventTypes.AWAITING_INPUT, snapshot, MigrationEvents.Details.none().error(error)
                            .awaiting(Awaiting.HUMAN_ACTION, reason, null), now), now);
            if (written) {
                LOG.error("migration {} at step {} cannot be read ({}); set aside for a person", row.migrationId(),
                        row.step(), row.problem());
            } else {
                LOG.info("unreadable migration {} changed before it was set aside", row.migrationId());
            }
        } catch (RuntimeException e) {
            LOG.error("unreadable migration {} could not be set aside ({}); tried again when its claim expires",
                    row.migrationId(), e.getClass().getSimpleName());
        }
    }

    /**
     * The migration waits only for a provider rate slot: it keeps its claim (and its lease stays alive) but gives
     * its in-flight place back, so that migrations with work to do (a code that came back) are not held behind it.
     */
    public void waitingForRate(Migration m) {
        if (working.containsKey(m.getMigrationId()) && waitingForRate.add(m.getMigrationId())) {
            inFlight.decrementAndGet();
        }
    }

    /** Its rate slot came: the migration works again (it may briefly take the count above max-in-flight). */
    public void rateSlotGranted(Migration m) {
        if (waitingForRate.remove(m.getMigrationId())) {
            inFlight.incrementAndGet();
        }
    }

    /** Ends a worker's turn: gives the claim back if the steps did not already (they do when they park). */
    public void release(Migration m) {
        if (!waitingForRate.remove(m.getMigrationId())) {
            inFlight.decrementAndGet();
        }
        working.remove(m.getMigrationId()); // from now on its lease runs out by itself, even if the update below fails
        if (m.getClaimToken() != null && !m.isClaimLost()) {
            store.releaseClaim(m.getMigrationId(), m.getClaimToken());
            m.releaseClaim();
        }
    }

    /** Keeps the leases of the migrations this instance's workers hold alive; runs several times per lease. */
    public void extendClaims() {
        List<String> ids = List.copyOf(working.keySet());
        if (ids.isEmpty()) {
            return;
        }
        Instant until = clock.instant().plus(lease);
        store.extendClaims(ids, instanceId, until);
        // the worker's copy too: each step it records writes claimed_until back, and a stale value would let the
        // lease of a migration held longer than a lease (e.g. waiting for a rate slot) run out under its worker
        for (String id : ids) {
            Migration m = working.get(id);
            if (m != null) {
                m.claimExtended(until);
            }
        }
        LOG.debug("extended {} claims", ids.size());
    }

    /** Migrations held by this instance's workers, waiting for a rate slot or not. */
    public int inFlight() {
        return inFlight.get() + waitingForRate.size();
    }

    /** Of those, the ones that only wait for a provider rate slot. */
    public int waitingForRate() {
        return waitingForRate.size();
    }

    public String instanceId() {
        return instanceId;
    }
}
