package dev.wabamigrator.engine;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Turns a classified provider error into what happens next, once Camel's in-route redelivery is spent:
 * park and retry later (from the database), ask a person, or fail. Numbers come from {@code app.retry.park.*}.
 */
public final class RetryPolicy {
    private final Clock clock;
    private final Duration initialDelay;
    private final double multiplier;
    private final Duration maxDelay;
    private final int maxTransientAttempts;
    private final int maxRateLimitedAttempts;
    private final int maxReadBacks;

    public RetryPolicy(Clock clock, Duration initialDelay, double multiplier, Duration maxDelay,
                       int maxTransientAttempts, int maxRateLimitedAttempts, int maxReadBacks) {
        this.clock = clock;
        this.initialDelay = initialDelay;
        this.multiplier = multiplier;
        this.maxDelay = maxDelay;
        this.maxTransientAttempts = maxTransientAttempts;
        this.maxRateLimitedAttempts = maxRateLimitedAttempts;
        this.maxReadBacks = maxReadBacks;
    }

    /**
     * A read-back of a call whose effect is in doubt was not conclusive (the provider still shows it PENDING, or the
     * answer does not say): read again later with backoff, never resend; after {@code app.retry.read-back.max-attempts}
     * ask a person. The call stays pending, so a {@code ResumeMigration} reads it back once more.
     *
     * @param state what the provider showed, e.g. {@code "status PENDING"}
     */
    public StepOutcome readBackInconclusive(Migration migration, String state) {
        int readBacks = migration.getAttempt() + 1;
        ProviderError error = ProviderError.of("engine", StepRecorder.CALL_OUTCOME_UNKNOWN, "the " + migration.getStep()
                + " call's effect is not settled yet (" + state + "); read back " + readBacks + " time(s)",
                ErrorClass.TRANSIENT);
        if (readBacks >= maxReadBacks) {
            return new StepOutcome.NeedsHuman(error.withClass(ErrorClass.NEEDS_HUMAN), "the provider still does not "
                    + "show whether " + migration.getStep() + " took effect (" + state + ") after " + readBacks
                    + " read-backs; check it with the provider, then send ResumeMigration to read it back again");
        }
        return new StepOutcome.RetryLater(error, clock.instant().plus(backoff(migration.getAttempt())));
    }

    public StepOutcome outcomeFor(ProviderError error, Migration migration) {
        int attemptsSoFar = migration.getAttempt() + 1;
        return switch (error.errorClass()) {
            case TRANSIENT -> attemptsSoFar >= maxTransientAttempts
                    ? new StepOutcome.NeedsHuman(error, "step " + migration.getStep() + " still failing after "
                        + attemptsSoFar + " attempts (" + error.code() + "): check the provider, then resume")
                    : new StepOutcome.RetryLater(error, clock.instant().plus(backoff(migration.getAttempt())));
            case RATE_LIMITED -> attemptsSoFar >= maxRateLimitedAttempts
                    ? new StepOutcome.NeedsHuman(error, "step " + migration.getStep() + " still rate limited after "
                        + attemptsSoFar + " attempts (" + error.code() + ")")
                    : new StepOutcome.RetryLater(error, clock.instant().plus(
                        error.retryAfter() != null ? error.retryAfter() : backoff(migration.getAttempt())));
            case NEEDS_HUMAN -> new StepOutcome.NeedsHuman(error, error.message());
            case PERMANENT -> new StepOutcome.Failed(error);
        };
    }

    /**
     * What an exception that escaped a step means: an outcome the provider segment settled itself (a pause, a call
     * held back), a classified transient error, or our own fault.
     */
    public StepOutcome outcomeForFailure(Throwable failure, Migration migration) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof StepOutcomeException settled) { // nothing was sent, e.g. wait out a pause
                return settled.outcome();
            }
            if (cause instanceof TransientProviderException transientFailure) { // often wrapped by a bean call
                return outcomeFor(transientFailure.error(), migration);
            }
        }
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        return outcomeFor(ProviderError.of("engine", failure.getClass().getSimpleName(), message,
                ErrorClass.TRANSIENT), migration);
    }

    /** Exponential, capped, with ±20 % jitter so parked migrations do not wake in lockstep. */
    Duration backoff(int attempt) {
        double millis = initialDelay.toMillis() * Math.pow(multiplier, Math.max(0, attempt));
        millis = Math.min(millis, maxDelay.toMillis());
        double jitter = 0.8 + ThreadLocalRandom.current().nextDouble() * 0.4;
        return Duration.ofMillis(Math.max(0, Math.round(millis * jitter)));
    }
}
