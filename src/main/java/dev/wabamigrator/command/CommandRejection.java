package dev.wabamigrator.command;

import java.util.List;

/** Why a readable command cannot be applied; becomes a {@code waba.migration.command.rejected} event. */
public final class CommandRejection extends Exception {
    public static final String SCHEMA_VIOLATION = "SCHEMA_VIOLATION";
    public static final String UNKNOWN_COMMAND_TYPE = "UNKNOWN_COMMAND_TYPE";
    public static final String UNKNOWN_FLOW = "UNKNOWN_FLOW";
    public static final String UNKNOWN_MIGRATION = "UNKNOWN_MIGRATION";
    public static final String ACTIVE_MIGRATION_EXISTS = "ACTIVE_MIGRATION_EXISTS";
    public static final String DUPLICATE_MIGRATION_ID = "DUPLICATE_MIGRATION_ID";
    public static final String INVALID_STATE = "INVALID_STATE";
    public static final String PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE";
    /** The record key is too long or holds control characters. */
    public static final String INVALID_KEY = "INVALID_KEY";
    /** The database refused a value of the command (SQLSTATE class 22, 23, ...): repeating it cannot succeed. */
    public static final String UNSTORABLE_VALUE = "UNSTORABLE_VALUE";

    private final String code;
    private final transient List<String> violations;

    public CommandRejection(String code, String message) {
        this(code, message, List.of());
    }

    public CommandRejection(String code, String message, List<String> violations) {
        super(message, null, false, false);
        this.code = code;
        this.violations = List.copyOf(violations);
    }

    public String code() {
        return code;
    }

    public List<String> violations() {
        return violations;
    }
}
