package dev.wabamigrator.engine;

/**
 * Thrown by a step for a failure worth redelivering at once (5xx, timeouts, resets). The shared
 * {@code provider-errors} route configuration redelivers it with the {@code app.retry.provider.*}
 * numbers; when those are spent the migration is parked and retried later from the database.
 */
public class TransientProviderException extends RuntimeException {
    private final transient ProviderError error;

    public TransientProviderException(ProviderError error) {
        super(error.provider() + " " + error.code() + ": " + error.message());
        this.error = error;
    }

    public ProviderError error() {
        return error;
    }
}
