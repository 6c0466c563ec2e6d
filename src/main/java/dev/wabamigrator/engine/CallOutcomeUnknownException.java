package dev.wabamigrator.engine;

/**
 * An answer that does not say whether the call took effect: a 5xx, an unreadable 2xx, Graph code 1/2/131000.
 * Providers often answer 5xx <i>after</i> the call took effect. For a call that is safe to repeat this is an
 * ordinary transient failure (redelivered); for one that is not ({@link Migration#isCallInFlight()}), the
 * {@code provider-errors} configuration never resends it: the next run reads the provider's state back first.
 */
public class CallOutcomeUnknownException extends TransientProviderException {
    public CallOutcomeUnknownException(ProviderError error) {
        super(error);
    }
}
