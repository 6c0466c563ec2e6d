package dev.wabamigrator.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.command.CommandRejection;
import dev.wabamigrator.event.EventTypes;
import dev.wabamigrator.event.MigrationEvents;
import dev.wabamigrator.event.MigrationEvents.Details;
import dev.wabamigrator.event.OutboxEvent;
import dev.wabamigrator.store.MigrationStore;
import dev.wabamigrator.store.Sql;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The state changes that commands make: start, code submitted, resend, cancel, resume. Each runs in one
 * transaction with the commandId record and its events, guarded by the row version; a lost race is retried.
 */
public final class MigrationCommands {
    /** Command fields that are secrets: kept encrypted, never in params, events or logs. */
    private static final Map<String, String> SECRET_FIELDS = Map.of("meta", "pin");
    private static final int MAX_RACES = 5;

    private final MigrationStore store;
    private final MigrationEvents events;
    private final FlowRegistry flows;
    private final ObjectMapper json;
    private final Clock clock;
    private final java.util.function.Predicate<String> readsBack;
    private final ProviderPauses pauses;

    /**
     * @param readsBack whether a step route can read its call's effect back ({@code <route>-reconcile} exists)
     * @param pauses    provider pauses; resuming the migration that raised one ends it
     */
    public MigrationCommands(MigrationStore store, MigrationEvents events, FlowRegistry flows, ObjectMapper json,
                             Clock clock, java.util.function.Predicate<String> readsBack, ProviderPauses pauses) {
        this.store = store;
        this.events = events;
        this.flows = flows;
        this.json = json;
        this.clock = clock;
        this.readsBack = readsBack;
        this.pauses = pauses;
    }

    @FunctionalInterface
    private interface Change {
        /** Mutates the migration and returns the events to emit, or throws a rejection. */
        List<OutboxEvent> apply(Connection connection, Migration m, Instant now) throws CommandRejection, SQLException;
    }

    public String start(String commandId, ObjectNode command, FlowDefinition flow) throws CommandRejection {
        String migrationId = command.path("migrationId").isTextual() ? command.get("migrationId").asText()
                : "m-" + UUID.randomUUID();
        Migration m = new Migration();
        m.clock = clock;
        m.migrationId = migrationId;
        m.flow = flow.name();
        m.countryCode = command.get("phoneNumber").get("countryCode").asText();
        m.nationalNumber = command.get("phoneNumber").get("number").asText();
        m.phoneE164 = m.countryCode + m.nationalNumber;
        m.state = MigrationState.RUNNING;
        m.step = flow.first();
        m.params = command.deepCopy();
        m.params.remove("type");
        SECRET_FIELDS.forEach((section, field) -> {
            if (m.params.path(section).has(field)) {
                m.secrets.put(field, m.params.get(section).get(field).asText());
                ((ObjectNode) m.params.get(section)).remove(field);
            }
        });
        m.result = json.createObjectNode();
        for (int race = 0; ; race++) {
            try {
                return store.sql().inTransaction(connection -> {
                    Instant now = clock.instant();
                    if (store.exists(connection, migrationId)) {
                        throw rejection(new CommandRejection(CommandRejection.DUPLICATE_MIGRATION_ID,
                                "migration " + migrationId + " already exists"));
                    }
                    var active = store.findActiveByPhone(connection, m.phoneE164);
                    if (active.isPresent()) {
                        throw rejection(new CommandRejection(CommandRejection.ACTIVE_MIGRATION_EXISTS,
                                "number " + m.phoneE164 + " already has an active migration " + active.get()));
                    }
                    store.insert(connection, m, now);
                    markProcessed(connection, commandId, "StartMigration", migrationId, "APPLIED", now);
                    store.outbox().add(connection, List.of(events.migrationEvent(EventTypes.ACCEPTED, m.snapshot(),
                            Details.none().commandId(commandId), now)), now);
                    store.history().command(connection, commandId, "StartMigration", m, now);
                    return migrationId;
                });
            } catch (RejectionCarrier carrier) {
                throw carrier.rejection;
            } catch (Sql.SqlFailure e) {
                if (!e.isConstraintViolation() || race >= MAX_RACES) {
                    throw e;
                }
                // another instance inserted the same id or number meanwhile: look again
            }
        }
    }

    public String submitCode(String commandId, String migrationId, String code) throws CommandRejection {
        return change(commandId, "SubmitVerificationCode", migrationId, (connection, m, now) -> {
            requireAwaiting(m, Awaiting.VERIFICATION_CODE, "a verification code");
            m.secrets.put("verificationCode", code);
            wake(m, now);
            return List.of();
        });
    }

    public String resendCode(String commandId, String migrationId) throws CommandRejection {
        return change(commandId, "ResendVerificationCode", migrationId, (connection, m, now) -> {
            requireAwaiting(m, Awaiting.VERIFICATION_CODE, "a verification code");
            // the code wait's route names the step that asks the provider for a code (its requestStep)
            m.step = flows.get(m.flow).stepParameter(m.step, "requestStep").orElseThrow(() -> new CommandRejection(
                    CommandRejection.INVALID_STATE, "flow " + m.flow + " has no step that requests a code"));
            CodeWait.resendRequested(m);
            wake(m, now);
            return List.of();
        });
    }

    public String cancel(String commandId, String migrationId, String reason) throws CommandRejection {
        return change(commandId, "CancelMigration", migrationId, (connection, m, now) -> {
            if (m.state.isTerminal()) {
                throw new CommandRejection(CommandRejection.INVALID_STATE,
                        "migration " + migrationId + " is already " + m.state + " and cannot be cancelled");
            }
            if (callInFlight(m, now)) {
                // the number may be moving right now: CANCELLED could be recorded for a number that moved
                throw new CommandRejection(CommandRejection.INVALID_STATE, "migration " + migrationId + " has its "
                        + m.pendingCall + " call in flight at the provider, which may be taking effect; retry the "
                        + "cancel once the call has settled (the migration's next event)");
            }
            m.state = MigrationState.CANCELLED;
            m.awaiting = null;
            m.awaitingReason = reason;
            m.nextAttemptAt = null;
            StepRecorder.releaseClaim(m);
            return List.of(events.migrationEvent(EventTypes.CANCELLED, m.snapshot(),
                    Details.none().commandId(commandId), now));
        });
    }

    public String resume(String commandId, String migrationId) throws CommandRejection {
        return change(commandId, "ResumeMigration", migrationId, (connection, m, now) -> {
            boolean needsHuman = m.state == MigrationState.AWAITING_INPUT && m.awaiting == Awaiting.HUMAN_ACTION;
            if (m.state != MigrationState.FAILED && !needsHuman) {
                throw new CommandRejection(CommandRejection.INVALID_STATE, "migration " + migrationId + " is "
                        + m.state + (m.awaiting == null ? "" : " awaiting " + m.awaiting)
                        + "; only a FAILED migration or one awaiting HUMAN_ACTION can be resumed");
            }
            if (m.state.isTerminal()) {
                var active = store.findActiveByPhone(connection, m.phoneE164);
                if (active.isPresent()) {
                    throw new CommandRejection(CommandRejection.ACTIVE_MIGRATION_EXISTS, "number " + m.phoneE164
                            + " has another active migration " + active.get() + "; cancel it before resuming this one");
                }
            }
            m.attempt = 0;
            if (m.pendingCall != null && !readsBack.test(m.getStepRoute())) {
                m.pendingCall = null; // nothing can read it back: a person checked the provider's side
            }
            m.lastError = null;
            pauses.endFor(connection, migrationId); // a person fixed what paused the provider's calls
            wake(m, now);
            return List.of();
        });
    }

    /** A call that is not safe to repeat was begun by a worker that still holds the migration. */
    private static boolean callInFlight(Migration m, Instant now) {
        return m.pendingCall != null && m.claimOwner != null && m.claimedUntil != null && m.claimedUntil.isAfter(now);
    }

    private String change(String commandId, String type, String migrationId, Change change) throws CommandRejection {
        for (int race = 0; ; race++) {
            try {
                Boolean done = store.sql().inTransaction(connection -> {
                    Instant now = clock.instant();
                    Migration m;
                    try {
                        m = store.find(connection, migrationId).orElseThrow(() -> rejection(new CommandRejection(
                                CommandRejection.UNKNOWN_MIGRATION, "no migration with id " + migrationId)));
                    } catch (UnreadableMigration unreadable) {
                        throw rejection(new CommandRejection(CommandRejection.INVALID_STATE, unreadable.getMessage()
                                + "; it takes commands again once the row is repaired"));
                    }
                    List<OutboxEvent> out;
                    try {
                        out = new ArrayList<>(change.apply(connection, m, now));
                    } catch (CommandRejection r) {
                        throw rejection(r);
                    }
                    if (!store.update(connection, m, now)) {
                        connection.rollback();
                        return false;
                    }
                    markProcessed(connection, commandId, type, migrationId, "APPLIED", now);
                    store.outbox().add(connection, out, now);
                    store.history().command(connection, commandId, type, m, now);
                    return true;
                });
                if (done) {
                    return migrationId;
                }
            } catch (RejectionCarrier carrier) {
                throw carrier.rejection;
            } catch (Sql.SqlFailure e) {
                if (!e.isConstraintViolation()) {
                    throw e;
                }
                if (race >= MAX_RACES) { // never an outage: a rejection, so the partition moves on
                    // the database's own message may quote a value: name the SQLSTATE only
                    throw new CommandRejection(CommandRejection.INVALID_STATE, "migration " + migrationId
                            + " conflicts with another change: " + (e instanceof Sql.RefusedValue refused
                            ? refused.describe() : "SQLSTATE " + e.sqlState()));
                }
            }
            if (race >= MAX_RACES) {
                throw new IllegalStateException("migration " + migrationId + " kept changing under command " + commandId);
            }
        }
    }

    /** Records a commandId as handled, in the caller's transaction. */
    public void markProcessed(Connection connection, String commandId, String type, String migrationId, String outcome,
                              Instant now) throws SQLException {
        Map<String, Object> params = new HashMap<>();
        params.put("commandId", commandId);
        params.put("commandType", type);
        params.put("migrationId", migrationId);
        params.put("outcome", outcome);
        params.put("now", now);
        store.sql().update(connection, "insert-processed-command", params);
    }

    private static void requireAwaiting(Migration m, Awaiting kind, String what) throws CommandRejection {
        if (m.state != MigrationState.AWAITING_INPUT || m.awaiting != kind) {
            throw new CommandRejection(CommandRejection.INVALID_STATE, "migration " + m.migrationId + " is " + m.state
                    + " at step " + m.step + ", not waiting for " + what);
        }
    }

    /** Makes the migration due now; a worker picks it up on the next claim. */
    private static void wake(Migration m, Instant now) {
        m.state = MigrationState.RUNNING;
        m.awaiting = null;
        m.awaitingReason = null;
        m.nextAttemptAt = now;
    }

    private static RejectionCarrier rejection(CommandRejection rejection) {
        return new RejectionCarrier(rejection);
    }

    /** Carries a rejection out of a transaction (rolling it back). */
    private static final class RejectionCarrier extends RuntimeException {
        private final transient CommandRejection rejection;

        RejectionCarrier(CommandRejection rejection) {
            super(rejection.getMessage(), null, false, false);
            this.rejection = rejection;
        }
    }
}
