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
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The state changes that commands make: start, code submitted, resend, cancel, resume. Each is written in one
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
        /** Changes the migration by one of its transitions and returns the events to emit, or throws a rejection. */
        List<OutboxEvent> apply(Migration m, Instant now) throws CommandRejection;
    }

    public String start(String commandId, ObjectNode command, FlowDefinition flow) throws CommandRejection {
        String migrationId = command.path("migrationId").isTextual() ? command.get("migrationId").asText()
                : "m-" + UUID.randomUUID();
        ObjectNode params = command.deepCopy();
        params.remove("type");
        Map<String, String> secrets = new HashMap<>();
        SECRET_FIELDS.forEach((section, field) -> {
            if (params.path(section).has(field)) {
                secrets.put(field, params.get(section).get(field).asText());
                ((ObjectNode) params.get(section)).remove(field);
            }
        });
        Migration m = Migration.start(migrationId, flow.name(), flow.first(),
                command.get("phoneNumber").get("countryCode").asText(), command.get("phoneNumber").get("number").asText(),
                command.path("batchId").isTextual() ? command.get("batchId").asText() : null, params, secrets, json.createObjectNode(), clock);
        MigrationStore.ProcessedCommand processed = new MigrationStore.ProcessedCommand(commandId, "StartMigration",
                migrationId);
        for (int race = 0; ; race++) {
            Instant now = clock.instant();
            List<OutboxEvent> accepted = List.of(events.migrationEvent(EventTypes.ACCEPTED, m,
                    Details.none().commandId(commandId), now));
            try {
                var notInserted = store.insert(m, processed, accepted, now);
                if (notInserted.isEmpty()) {
                    return migrationId;
                }
                throw notInserted.get().idTaken()
                        ? new CommandRejection(CommandRejection.DUPLICATE_MIGRATION_ID,
                                "migration " + migrationId + " already exists")
                        : new CommandRejection(CommandRejection.ACTIVE_MIGRATION_EXISTS, "number " + m.getPhoneE164()
                                + " already has an active migration " + notInserted.get().activeMigrationId());
            } catch (Sql.SqlFailure e) {
                if (!e.isConstraintViolation() || race >= MAX_RACES) {
                    throw e;
                }
                // another instance inserted the same id or number meanwhile: look again
            }
        }
    }

    public String submitCode(String commandId, String migrationId, String code) throws CommandRejection {
        return change(commandId, "SubmitVerificationCode", migrationId, (m, now) -> {
            requireAwaiting(m, Awaiting.VERIFICATION_CODE, "a verification code");
            m.codeSubmitted(code, now);
            return List.of();
        });
    }

    public String resendCode(String commandId, String migrationId) throws CommandRejection {
        return change(commandId, "ResendVerificationCode", migrationId, (m, now) -> {
            requireAwaiting(m, Awaiting.VERIFICATION_CODE, "a verification code");
            // the code wait's route names the step that asks the provider for a code (its requestStep)
            String requestStep = flows.get(m.getFlow()).stepParameter(m.getStep(), "requestStep").orElseThrow(() ->
                    new CommandRejection(CommandRejection.INVALID_STATE,
                            "flow " + m.getFlow() + " has no step that requests a code"));
            CodeWait.resendRequested(m);
            m.codeRequestedAgain(requestStep, now);
            return List.of();
        });
    }

    public String cancel(String commandId, String migrationId, String reason) throws CommandRejection {
        return change(commandId, "CancelMigration", migrationId, (m, now) -> {
            if (m.getState().isTerminal()) {
                throw new CommandRejection(CommandRejection.INVALID_STATE,
                        "migration " + migrationId + " is already " + m.getState() + " and cannot be cancelled");
            }
            if (m.hasCallInFlight(now)) {
                // the number may be moving right now: CANCELLED could be recorded for a number that moved
                throw new CommandRejection(CommandRejection.INVALID_STATE, "migration " + migrationId + " has its "
                        + m.getPendingCall() + " call in flight at the provider, which may be taking effect; retry the "
                        + "cancel once the call has settled (the migration's next event)");
            }
            m.cancel(reason);
            return List.of(events.migrationEvent(EventTypes.CANCELLED, m, Details.none().commandId(commandId), now));
        });
    }

    public String resume(String commandId, String migrationId) throws CommandRejection {
        return change(commandId, "ResumeMigration", migrationId, (m, now) -> {
            boolean needsHuman = m.getState() == MigrationState.AWAITING_INPUT
                    && m.getAwaiting() == Awaiting.HUMAN_ACTION;
            if (m.getState() != MigrationState.FAILED && !needsHuman) {
                throw new CommandRejection(CommandRejection.INVALID_STATE, "migration " + migrationId + " is "
                        + m.getState() + (m.getAwaiting() == null ? "" : " awaiting " + m.getAwaiting())
                        + "; only a FAILED migration or one awaiting HUMAN_ACTION can be resumed");
            }
            if (m.getState().isTerminal()) {
                var active = store.findActiveByPhone(m.getPhoneE164());
                if (active.isPresent()) {
                    throw new CommandRejection(CommandRejection.ACTIVE_MIGRATION_EXISTS, "number " + m.getPhoneE164()
                            + " has another active migration " + active.get() + "; cancel it before resuming this one");
                }
            }
            m.resume(readsBack.test(m.getStepRoute()), now);
            return List.of();
        });
    }

    /**
     * Reads the migration, applies the change and writes it back with the command's record and events, guarded by
     * the row version: when another writer got there first, all of it runs again on the row as it is now.
     */
    private String change(String commandId, String type, String migrationId, Change change) throws CommandRejection {
        MigrationStore.ProcessedCommand processed = new MigrationStore.ProcessedCommand(commandId, type, migrationId);
        for (int race = 0; ; race++) {
            try {
                Instant now = clock.instant();
                Migration m;
                try {
                    m = store.find(migrationId).orElseThrow(() -> new CommandRejection(
                            CommandRejection.UNKNOWN_MIGRATION, "no migration with id " + migrationId));
                } catch (UnreadableMigration unreadable) {
                    throw new CommandRejection(CommandRejection.INVALID_STATE, unreadable.getMessage()
                            + "; it takes commands again once the row is repaired");
                }
                if (save(m, processed, change.apply(m, now), now)) {
                    return migrationId;
                }
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

    /** Writes a command's change; a {@code ResumeMigration} also ends the provider pause the migration raised. */
    private boolean save(Migration m, MigrationStore.ProcessedCommand command, List<OutboxEvent> out, Instant now) {
        if (!"ResumeMigration".equals(command.type())) {
            return store.saveCommand(m, command, out, now);
        }
        MigrationStore.Saved saved = store.saveResume(m, command, out, now);
        if (saved == MigrationStore.Saved.WRITTEN_PAUSE_ENDED) {
            // a person fixed what paused the provider's calls; forgotten here only once that is committed
            store.afterCommit(() -> pauses.endedBy(m.getMigrationId()));
        }
        return saved != MigrationStore.Saved.NOT_WRITTEN;
    }

    private static void requireAwaiting(Migration m, Awaiting kind, String what) throws CommandRejection {
        if (m.getState() != MigrationState.AWAITING_INPUT || m.getAwaiting() != kind) {
            throw new CommandRejection(CommandRejection.INVALID_STATE, "migration " + m.getMigrationId() + " is "
                    + m.getState() + " at step " + m.getStep() + ", not waiting for " + what);
        }
    }
}
