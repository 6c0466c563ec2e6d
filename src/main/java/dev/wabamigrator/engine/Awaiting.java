package dev.wabamigrator.engine;

/** What a migration in {@link MigrationState#AWAITING_INPUT} waits for. */
public enum Awaiting {
    /** A {@code SubmitVerificationCode} command with the code the number received. */
    VERIFICATION_CODE,
    /** The customer accepting the migration request in Meta Business Suite (polled). */
    CUSTOMER_ACCEPTANCE,
    /** A person fixing the cause (2FA, permissions, PIN), then a {@code ResumeMigration} command. */
    HUMAN_ACTION
}
