package dev.wabamigrator.engine;

/**
 * A provider segment settled the step's outcome before there was an answer to interpret: the call was held back
 * (a provider pause, a usage pause, a spent register budget) or a list could not be read to its end. Thrown so
 * that the step route's error handler ({@code provider-errors}) records it like any other failure, and step beans
 * only ever see provider answers.
 */
public class StepOutcomeException extends RuntimeException {
    private final transient StepOutcome outcome;

    public StepOutcomeException(String message, StepOutcome outcome) {
        super(message, null, false, false); // an expected outcome, not a fault: no stack trace
        this.outcome = outcome;
    }

    public StepOutcomeException(StepOutcome outcome) {
        this(outcome.getClass().getSimpleName() + " " + describe(outcome), outcome);
    }

    public StepOutcome outcome() {
        return outcome;
    }

    /** The outcome's kind and error code, for the log line of the handler (never a reason or a message). */
    private static String describe(StepOutcome outcome) {
        ProviderError error = outcome.error();
        return error == null ? "" : error.provider() + " " + error.code();
    }
}
