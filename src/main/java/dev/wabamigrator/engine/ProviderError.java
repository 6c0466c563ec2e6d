package dev.wabamigrator.engine;

import java.time.Duration;

/**
 * A classified provider failure, as it travels into the {@code error} field of an event.
 *
 * @param provider   {@code alibaba}, {@code meta}, or {@code engine} for failures of our own
 * @param code       the provider's code (Alibaba {@code Code}, Graph {@code code} or {@code code/subcode}), or HTTP_503, TIMEOUT, ...
 * @param message    human-readable, never containing a secret
 * @param errorClass what the orchestrator does about it
 * @param retryAfter wait the provider asked for (x-acs-retry-after, estimated_time_to_regain_access, ...), or null
 * @param traceId    Alibaba RequestId or Graph fbtrace_id, or null
 */
public record ProviderError(String provider, String code, String message, ErrorClass errorClass,
                            Duration retryAfter, String traceId) {

    public ProviderError {
        if (provider == null || code == null || errorClass == null) {
            throw new IllegalArgumentException("provider, code and errorClass are required");
        }
        message = message == null ? "" : message;
    }

    public static ProviderError of(String provider, String code, String message, ErrorClass errorClass) {
        return new ProviderError(provider, code, message, errorClass, null, null);
    }

    public boolean retryable() {
        return errorClass.retryable();
    }

    public ProviderError withClass(ErrorClass newClass) {
        return new ProviderError(provider, code, message, newClass, retryAfter, traceId);
    }
}
