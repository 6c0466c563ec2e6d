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

    private final boolean deadLetter;
    private final String reason;
    private final String message;

    private IntakeResult(boolean deadLetter, String reason, String message) {
        this.deadLetter = deadLetter;
        this.reason = reason;
        this.message = message;
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

    /** APPLIED, REJECTED or DUPLICATE; or the dead-letter reason. */
    public String getReason() {
        return reason;
    }

    public String getMessage() {
        return message;
    }
}
