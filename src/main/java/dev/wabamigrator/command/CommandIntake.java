package dev.wabamigrator.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.engine.FlowDefinition;
import dev.wabamigrator.engine.FlowRegistry;
import dev.wabamigrator.engine.Migration;
import dev.wabamigrator.engine.MigrationCommands;
import dev.wabamigrator.engine.Preflight;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.event.MigrationEvents;
import dev.wabamigrator.event.OutboxEvent;
import dev.wabamigrator.store.MigrationStore;
import dev.wabamigrator.store.Sql;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one record of the commands topic: checks it, applies it and records it with its events in one
 * transaction, so the offset may be committed afterwards. A repeated commandId changes nothing and emits nothing.
 * Never logs a command body: it may carry a PIN.
 */
public final class CommandIntake {
    private static final Logger LOG = LoggerFactory.getLogger(CommandIntake.class);

    private final ObjectMapper json;
    private final MessageSchemas schemas;
    private final FlowRegistry flows;
    private final MigrationCommands commands;
    private final MigrationEvents events;
    private final MigrationStore store;
    private final Clock clock;
    private final int maxCommandBytes;

    public CommandIntake(ObjectMapper json, MessageSchemas schemas, FlowRegistry flows, MigrationCommands commands,
                         MigrationEvents events, MigrationStore store, Clock clock, int maxCommandBytes) {
        this.json = json;
        this.schemas = schemas;
        this.flows = flows;
        this.commands = commands;
        this.events = events;
        this.store = store;
        this.clock = clock;
        this.maxCommandBytes = maxCommandBytes;
    }

    /** A record of the commands topic: its value and its key. */
    public record Record(byte[] value, String key) {
    }

    /**
     * Takes the records of one poll, in their order, all in one transaction: a command sees what the commands
     * before it in the poll did (a cancel after its start, a commandId repeated). If any of them spoils that
     * transaction (a value the database refuses, a race with another instance, an unreadable row), nothing of it is
     * kept and the poll is taken one record, one transaction at a time, exactly as {@link #handle} alone would.
     *
     * @return what was done with each record, in the same order
     * @throws Sql.SqlFailure when the database is unwell: nothing is kept, the poll is to be read again
     */
    public List<IntakeResult> handlePoll(List<Record> records) {
        try {
            return store.inOneTransaction(() -> records.stream().map(r -> handle(r.value(), r.key())).toList());
        } catch (RuntimeException e) {
            // Sql.SharedTransactionFailed, or the database failing: one by one tells which record is to blame
            LOG.warn("a poll of {} commands is taken one by one: {}", records.size(), e.getClass().getSimpleName());
        }
        List<IntakeResult> results = new ArrayList<>(records.size());
        for (Record record : records) {
            results.add(handleAlone(record));
        }
        return results;
    }

    /** One record in its own transactions; what is its own fault is dead-lettered, an outage is thrown. */
    private IntakeResult handleAlone(Record record) {
        try {
            return handle(record.value(), record.key());
        } catch (Sql.RefusedValue refused) {
            return processingError(refused);
        } catch (Sql.SqlFailure outage) {
            throw outage;
        } catch (RuntimeException e) {
            return processingError(e);
        }
    }

    public IntakeResult handle(byte[] value, String key) {
        if (value == null || value.length == 0) {
            return IntakeResult.toDeadLetter(IntakeResult.NOT_JSON, "empty record value");
        }
        JsonNode command;
        try {
            command = json.readTree(value);
        } catch (IOException e) {
            return IntakeResult.toDeadLetter(value.length > maxCommandBytes ? IntakeResult.PAYLOAD_TOO_LARGE : IntakeResult.NOT_JSON,
                    "not JSON: " + SecretText.parseProblem(e));
        }
        JsonNode idNode = command == null ? null : command.get("commandId");
        if (command == null || !command.isObject() || idNode == null || !idNode.isTextual()
                || !Bounds.isPlainText(idNode.asText(), Bounds.COMMAND_ID) || idNode.asText().isBlank()) {
            return IntakeResult.toDeadLetter(value.length > maxCommandBytes ? IntakeResult.PAYLOAD_TOO_LARGE : IntakeResult.NO_COMMAND_ID,
                    "no readable commandId (a string of 1 to " + Bounds.COMMAND_ID + " characters, no control characters)");
        }
        String commandId = idNode.asText();
        String type = command.path("type").isTextual() ? command.get("type").asText() : null;
        String migrationId = command.path("migrationId").isTextual() ? command.get("migrationId").asText() : null;
        boolean keyReadable = key == null || Bounds.isPlainText(key, Bounds.RECORD_KEY);
        String eventKey = keyReadable && key != null ? key : phoneKey(command, commandId);
        if (isProcessed(commandId)) {
            LOG.debug("command {} seen before; ignored", commandId);
            return IntakeResult.recorded("DUPLICATE");
        }
        try {
            if (value.length > maxCommandBytes) {
                throw new CommandRejection(CommandRejection.PAYLOAD_TOO_LARGE,
                        "command is " + value.length + " bytes; the limit is " + maxCommandBytes);
            }
            if (!keyReadable) {
                throw new CommandRejection(CommandRejection.INVALID_KEY, "the record key is " + key.length()
                        + " characters" + (Bounds.hasControlCharacter(key) ? " with control characters" : "")
                        + "; a key is the number's E.164 digits without '+', at most " + Bounds.RECORD_KEY
                        + " characters, no control characters");
            }
            if (type == null || !schemas.isKnownCommandType(type)) {
                throw new CommandRejection(CommandRejection.UNKNOWN_COMMAND_TYPE, "unknown command type "
                        + (type == null ? "(missing)" : "'" + Bounds.echo(type) + "'")
                        + "; expected StartMigration, SubmitVerificationCode, ResendVerificationCode, CancelMigration, "
                        + "ResumeMigration or CheckMigration");
            }
            List<String> violations = new ArrayList<>(schemas.validateCommand(type, command));
            violations.addAll(Bounds.unstorableText(command));
            if (!violations.isEmpty()) {
                throw new CommandRejection(CommandRejection.SCHEMA_VIOLATION,
                        type + " does not match its schema: " + String.join("; ", Bounds.violations(violations)), violations);
            }
            if ("CheckMigration".equals(type)) {
                requireFlow(command.get("flow").asText());
                return IntakeResult.check(commandId, (ObjectNode) command); // recorded once its checks are read
            }
            String appliedTo = applyStorable(type, commandId, (ObjectNode) command);
            LOG.info("command {} {} applied to migration {}", commandId, type, appliedTo);
            return IntakeResult.recorded("APPLIED");
        } catch (CommandRejection rejection) {
            reject(eventKey, commandId, type, migrationId, rejection);
            LOG.info("command {} {} rejected: {} {}", commandId, Bounds.echo(type), rejection.code(),
                    Bounds.echo(rejection.getMessage()));
            return IntakeResult.recorded("REJECTED");
        }
    }

    /**
     * A record whose handling failed for a reason of its own: dead-letter it. The message names what went wrong
     * without quoting the record (a database's own message may echo a value, a PIN among them).
     */
    public IntakeResult processingError(Throwable failure) {
        Sql.RefusedValue refused = refusedValue(failure);
        if (refused != null) {
            LOG.error("command record could not be recorded: {}", refused.describe());
            return IntakeResult.toDeadLetter(IntakeResult.UNSTORABLE_VALUE,
                    "the database refused this record even as a rejection: " + refused.describe());
        }
        LOG.error("command record could not be handled: {}", failure.getClass().getName());
        return IntakeResult.toDeadLetter(IntakeResult.PROCESSING_ERROR, failure.getClass().getSimpleName() + ": "
                + SecretText.scrub(firstLine(failure.getMessage())));
    }

    /** Applies a command; a value the database refuses (too long, unstorable, breaking a constraint) rejects it. */
    private String applyStorable(String type, String commandId, ObjectNode command) throws CommandRejection {
        try {
            return apply(type, commandId, command);
        } catch (Sql.RefusedValue refused) {
            throw new CommandRejection(CommandRejection.UNSTORABLE_VALUE,
                    "the database refused a value of this command: " + refused.describe());
        }
    }

    private static Sql.RefusedValue refusedValue(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof Sql.RefusedValue refused) {
                return refused;
            }
        }
        return null;
    }

    private String apply(String type, String commandId, ObjectNode command) throws CommandRejection {
        return switch (type) {
            case "StartMigration" -> start(commandId, command);
            case "SubmitVerificationCode" -> commands.submitCode(commandId, command.get("migrationId").asText(),
                    command.get("code").asText());
            case "ResendVerificationCode" -> commands.resendCode(commandId, command.get("migrationId").asText());
            case "CancelMigration" -> commands.cancel(commandId, command.get("migrationId").asText(),
                    command.path("reason").asText(null));
            case "ResumeMigration" -> commands.resume(commandId, command.get("migrationId").asText());
            default -> throw new CommandRejection(CommandRejection.UNKNOWN_COMMAND_TYPE, "unknown command type " + type);
        };
    }

    private String start(String commandId, ObjectNode command) throws CommandRejection {
        return commands.start(commandId, command, requireFlow(command.get("flow").asText()));
    }

    private FlowDefinition requireFlow(String flowName) throws CommandRejection {
        return flows.find(flowName).orElseThrow(() -> new CommandRejection(CommandRejection.UNKNOWN_FLOW,
                "flow " + flowName + " is not available; this instance runs " + flows.names()));
    }

    // ---- CheckMigration ---------------------------------------------------------------------------------------

    /** What a CheckMigration's checks read with: a migration never stored nor run, without the command's PIN. */
    public Migration checkTarget(IntakeResult check) {
        ObjectNode command = check.getCommand();
        ObjectNode params = command.deepCopy();
        params.remove("type");
        return Migration.forCheck(check.getCommandId(), command.get("flow").asText(),
                command.get("phoneNumber").get("countryCode").asText(), command.get("phoneNumber").get("number").asText(),
                params, clock);
    }

    /**
     * Records a CheckMigration with its {@code preflight.checked} event, in one transaction. Until then its offset is
     * not committed: a crash before this line runs the (read-only) checks again, and a repeated commandId records
     * nothing new.
     */
    public IntakeResult checked(IntakeResult check, List<Preflight.Check> checks) {
        String commandId = check.getCommandId();
        ObjectNode command = check.getCommand();
        Instant now = clock.instant();
        OutboxEvent event = events.preflightChecked(commandId, command.get("flow").asText(),
                command.get("phoneNumber").get("countryCode").asText(), command.get("phoneNumber").get("number").asText(),
                checks, now);
        try {
            store.saveCheck(new MigrationStore.ProcessedCommand(commandId, "CheckMigration", null), event, now);
        } catch (Sql.SqlFailure e) {
            if (!e.isConstraintViolation() || !isProcessed(commandId)) {
                throw e;
            }
            return IntakeResult.recorded("DUPLICATE"); // another instance answered this commandId first
        }
        LOG.info("command {} CheckMigration answered: {} checks, {} failed", commandId, checks.size(),
                checks.stream().filter(c -> c.status() == Preflight.Status.FAILED).count());
        return IntakeResult.recorded("CHECKED");
    }

    private void reject(String key, String commandId, String type, String migrationId, CommandRejection rejection) {
        Instant now = clock.instant();
        // the event echoes what it can; the row keeps only what fits its columns
        OutboxEvent event = events.rejected(key, commandId, Bounds.echo(type), Bounds.echo(migrationId), rejection.code(),
                Bounds.echo(rejection.getMessage(), Bounds.MESSAGE), Bounds.violations(rejection.violations()), now);
        String storedType = Bounds.isPlainText(type, Bounds.COMMAND_TYPE) ? type : null;
        String storedMigrationId = Bounds.isPlainText(migrationId, Bounds.MIGRATION_ID) ? migrationId : null;
        try {
            store.saveRejection(new MigrationStore.ProcessedCommand(commandId, storedType, storedMigrationId),
                    rejection.code(), Bounds.echo(rejection.getMessage(), Bounds.MESSAGE), event, now);
        } catch (Sql.SqlFailure e) {
            if (!e.isConstraintViolation() || !isProcessed(commandId)) {
                throw e;
            }
            // another instance recorded this commandId first: nothing more to do
        }
    }

    private boolean isProcessed(String commandId) {
        return store.isCommandProcessed(commandId);
    }

    /** The number's E.164 digits when the command names a plausible one, else the fallback (the commandId). */
    private static String phoneKey(JsonNode command, String fallback) {
        JsonNode phone = command.get("phoneNumber");
        if (phone != null && phone.path("countryCode").isTextual() && phone.path("number").isTextual()) {
            String e164 = phone.get("countryCode").asText() + phone.get("number").asText();
            if (e164.matches("[0-9]{1,20}")) {
                return e164;
            }
        }
        return fallback;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        String line = newline < 0 ? message : message.substring(0, newline);
        return line.length() > 200 ? line.substring(0, 200) : line;
    }
}
