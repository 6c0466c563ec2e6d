package dev.wabamigrator.engine;

import java.time.Instant;

/**
 * Every call to a provider is on hold (its credentials or signer failed, see {@link ProviderPauses}): nothing was
 * sent. The migration is parked and looks again at {@code recheckAt}, without asking a person for it.
 */
public class ProviderPausedException extends StepOutcomeException {

    public ProviderPausedException(ProviderError error, Instant recheckAt) {
        // park until the recheck; the step runs again then and sends nothing while the pause lasts
        super(error.provider() + " " + error.code() + ": " + error.message(), new StepOutcome.RetryLater(error, recheckAt));
    }
}
