package dev.wabamigrator.command;

/**
 * What intake did with one record. Only a record that cannot name its command (not JSON, no commandId), or that
 * cannot be recorded even as a rejection, goes to the dead-letter topic; everything else was recorded (applied, or rejected with an event).
 */
public final class IntakeResult {
    public static final String NOT_JSON = "NOT_JSON";
    public static final String NO_COMMAND_ID = "NO_COMMAND_ID";
    public static final String PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE";
    public static final String PROCESSING_ERROR = "PROCESSING_ERROR";
    /** The database refused the record's values even when recording it as rejected. */
    public static final String UNSTORABLE_VALUE = "UNSTORABLE_VALUE";

    /** A valid CheckMigration, not recorded yet: the check route reads the provider, then records it. */
    public static final String CHECK = "CHECK";

    private final boolean deadLetter;
    private final String reason;
    private final String message;
    private final String commandId;
    private final com.fasterxml.jackson.databind.node.ObjectNode command;

    private IntakeResult(boolean deadLetter, String reason, String message) {
        this(deadLetter, reason, message, null, null);
    }

    private IntakeResult(boolean deadLetter, String reason, String message, String commandId,
                         com.fasterxml.jackson.databind.node.ObjectNode command) {
        this.deadLetter = deadLetter;
        this.reason = reason;
        this.message = message;
        this.commandId = commandId;
        this.command = command;
    }

    /** A valid {@code CheckMigration}: the route runs its checks and records it with its event ({@link #CHECK}). */
    public static IntakeResult check(String commandId, com.fasterxml.jackson.databind.node.ObjectNode command) {
        return new IntakeResult(false, CHECK, null, commandId, command);
    }

    public boolean isCheck() {
        return CHECK.equals(reason) && command != null;
    }

    /** The CheckMigration's commandId, or null. */
    public String getCommandId() {
        return commandId;
    }

    /** The CheckMigration command, or null. */
    public com.fasterxml.jackson.databind.node.ObjectNode getCommand() {
        return command;
    }

    public static IntakeResult recorded(String outcome) {
        return new IntakeResult(false, outcome, null);
    }

    public static IntakeResult toDeadLetter(String reason, String message) {
        return new IntakeResult(true, reason, message);
    }

    public boolean isDeadLetter() {
        return deadLetter;
    }

    /** APPLIED, REJECTED, DUPLICATE or CHECK; or the dead-letter reason. */
    public String getReason() {
        return reason;
    }

    public String getMessage() {
        return message;
    }
}
