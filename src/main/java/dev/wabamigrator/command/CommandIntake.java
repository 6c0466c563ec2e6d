package dev.wabamigrator.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wabamigrator.engine.FlowDefinition;
import dev.wabamigrator.engine.FlowRegistry;
import dev.wabamigrator.engine.MigrationCommands;
import dev.wabamigrator.engine.Sql;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.event.MigrationEvents;
import dev.wabamigrator.event.OutboxEvent;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
    private final Sql sql;
    private final Clock clock;
    private final int maxCommandBytes;

    public CommandIntake(ObjectMapper json, MessageSchemas schemas, FlowRegistry flows, MigrationCommands commands,
                         MigrationEvents events, Sql sql, Clock clock, int maxCommandBytes) {
        this.json = json;
        this.schemas = schemas;
        this.flows = flows;
        this.commands = commands;
        this.events = events;
        this.sql = sql;
        this.clock = clock;
        this.maxCommandBytes = maxCommandBytes;
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
                    "not JSON: " + firstLine(e.getMessage()));
        }
        JsonNode idNode = command == null ? null : command.get("commandId");
        if (command == null || !command.isObject() || idNode == null || !idNode.isTextual()
                || idNode.asText().isBlank() || idNode.asText().length() > 100) {
            return IntakeResult.toDeadLetter(value.length > maxCommandBytes ? IntakeResult.PAYLOAD_TOO_LARGE : IntakeResult.NO_COMMAND_ID,
                    "no readable commandId (a string of 1 to 100 characters)");
        }
        String commandId = idNode.asText();
        String type = command.path("type").isTextual() ? command.get("type").asText() : null;
        String migrationId = command.path("migrationId").isTextual() ? command.get("migrationId").asText() : null;
        String eventKey = key != null ? key : phoneKey(command, commandId);
        if (isProcessed(commandId)) {
            LOG.debug("command {} seen before; ignored", commandId);
            return IntakeResult.recorded("DUPLICATE");
        }
        try {
            if (value.length > maxCommandBytes) {
                throw new CommandRejection(CommandRejection.PAYLOAD_TOO_LARGE,
                        "command is " + value.length + " bytes; the limit is " + maxCommandBytes);
            }
            if (type == null || !schemas.isKnownCommandType(type)) {
                throw new CommandRejection(CommandRejection.UNKNOWN_COMMAND_TYPE, "unknown command type "
                        + (type == null ? "(missing)" : "'" + type + "'")
                        + "; expected StartMigration, SubmitVerificationCode, ResendVerificationCode, CancelMigration or ResumeMigration");
            }
            List<String> violations = schemas.validateCommand(type, command);
            if (!violations.isEmpty()) {
                throw new CommandRejection(CommandRejection.SCHEMA_VIOLATION,
                        type + " does not match its schema: " + String.join("; ", violations), violations);
            }
            String appliedTo = apply(type, commandId, (ObjectNode) command);
            LOG.info("command {} {} applied to migration {}", commandId, type, appliedTo);
            return IntakeResult.recorded("APPLIED");
        } catch (CommandRejection rejection) {
            reject(eventKey, commandId, type, migrationId, rejection);
            LOG.info("command {} {} rejected: {} {}", commandId, type, rejection.code(), rejection.getMessage());
            return IntakeResult.recorded("REJECTED");
        }
    }

    /** A record whose handling failed for a reason of its own (a bug, an impossible value): dead-letter it. */
    public IntakeResult processingError(Throwable failure) {
        LOG.error("command record could not be handled", failure);
        return IntakeResult.toDeadLetter(IntakeResult.PROCESSING_ERROR, failure.getClass().getSimpleName() + ": "
                + firstLine(failure.getMessage()));
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
        String flowName = command.get("flow").asText();
        FlowDefinition flow = flows.find(flowName).orElseThrow(() -> new CommandRejection(CommandRejection.UNKNOWN_FLOW,
                "flow " + flowName + " is not available; this instance runs " + flows.names()));
        return commands.start(commandId, command, flow);
    }

    private void reject(String key, String commandId, String type, String migrationId, CommandRejection rejection) {
        Instant now = clock.instant();
        OutboxEvent event = events.rejected(key, commandId, type, migrationId, rejection.code(), rejection.getMessage(),
                rejection.violations(), now);
        try {
            sql.inTransaction(connection -> {
                commands.markProcessed(connection, commandId, type, migrationId, "REJECTED", now);
                events.add(connection, List.of(event), now);
                return null;
            });
        } catch (Sql.SqlFailure e) {
            if (!e.isConstraintViolation()) {
                throw e;
            }
            // another instance recorded this commandId first: nothing more to do
        }
    }

    private boolean isProcessed(String commandId) {
        return !sql.query("find-processed-command", Map.of("commandId", commandId), row -> row.getString(1)).isEmpty();
    }

    private static String phoneKey(JsonNode command, String fallback) {
        JsonNode phone = command.get("phoneNumber");
        if (phone != null && phone.path("countryCode").isTextual() && phone.path("number").isTextual()) {
            return phone.get("countryCode").asText() + phone.get("number").asText();
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
