package dev.wabamigrator.engine;

/** The lifecycle of one migration. */
public enum MigrationState {
    /** Working through its steps, or parked until {@code next_attempt_at} after a retryable failure. */
    RUNNING,
    /** Waiting for something outside the system: a code, the customer's acceptance, or a person's fix. */
    AWAITING_INPUT,
    COMPLETED,
    FAILED,
    CANCELLED;

    /** Over: no step will run again unless a person resumes it. */
    public boolean isTerminal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }
}
