package dev.wabamigrator.engine;

import java.time.Instant;
import java.util.Map;

/**
 * What one step route hands back to the engine. The engine turns it into the new state and the
 * events, in one transaction ({@link StepRecorder}).
 */
public sealed interface StepOutcome {

    /** The provider error behind this outcome; null for a success or a wait. */
    default ProviderError error() {
        return null;
    }

    /** When the same step runs again after a {@link RetryLater}; null for any other outcome. */
    default Instant retryAt() {
        return null;
    }

    /**
     * The step is done. {@code result} holds non-secret provider ids; {@code nextStep} null means "the flow's next";
     * {@code report}, when not null, is one more event recorded with the step's success.
     */
    record Succeeded(Map<String, String> result, String nextStep, Map<String, String> secrets, Report report)
            implements StepOutcome {

        public Succeeded(Map<String, String> result, String nextStep, Map<String, String> secrets) {
            this(result, nextStep, secrets, null);
        }
    }

    /** What a step found, published as its own event type (no secrets), e.g. the templates step's report. */
    record Report(String eventType, com.fasterxml.jackson.databind.node.ObjectNode data) {
    }

    /**
     * Wait for input. {@code nextCheckAt} is when the step runs again to look (polling, expiry); null means
     * only a command wakes it, or {@code expiresAt} if that is set.
     */
    record Await(Awaiting awaiting, String reason, Instant expiresAt, Instant nextCheckAt) implements StepOutcome {
    }

    /** Try the same step again later; it costs no thread while it waits. */
    record RetryLater(ProviderError error, Instant at) implements StepOutcome {
        @Override
        public Instant retryAt() {
            return at;
        }
    }

    /** Go back (or forward) to another step of the flow, e.g. a wrong code returns to the code wait. */
    record GoTo(String step, ProviderError error, Map<String, String> secrets) implements StepOutcome {
    }

    /** A person must act; {@code ResumeMigration} retries the step. The reason is cut to fit its column. */
    record NeedsHuman(ProviderError error, String reason) implements StepOutcome {
        /** Characters of a reason kept: it fits the awaiting_reason column (1000) and stays readable. */
        public static final int MAX_REASON = 900;

        public NeedsHuman {
            if (reason != null && reason.length() > MAX_REASON) {
                reason = reason.substring(0, MAX_REASON - 3) + "...";
            }
        }
    }

    /** The migration cannot succeed. */
    record Failed(ProviderError error) implements StepOutcome {
    }

    static StepOutcome succeeded() {
        return new Succeeded(Map.of(), null, Map.of());
    }

    static StepOutcome succeeded(Map<String, String> result) {
        return new Succeeded(result, null, Map.of());
    }
}
