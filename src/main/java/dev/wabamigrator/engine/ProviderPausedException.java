package dev.wabamigrator.engine;

import java.time.Instant;

/**
 * Every call to a provider is on hold (its credentials or signer failed, see {@link ProviderPauses}): nothing was
 * sent. The migration is parked and looks again at {@code recheckAt}, without asking a person for it.
 */
public class ProviderPausedException extends RuntimeException {
    private final transient ProviderError error;
    private final Instant recheckAt;

    public ProviderPausedException(ProviderError error, Instant recheckAt) {
        super(error.provider() + " " + error.code() + ": " + error.message(), null, false, false);
        this.error = error;
        this.recheckAt = recheckAt;
    }

    /** Park until the recheck; the step runs again then and sends nothing while the pause lasts. */
    public StepOutcome outcome() {
        return new StepOutcome.RetryLater(error, recheckAt);
    }
}
