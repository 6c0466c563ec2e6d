package dev.wabamigrator.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The verification-code wait that the code flows share (bean {@code codeWait}): park until a
 * {@code SubmitVerificationCode} arrives, fail when the code's validity runs out, and send a wrong code back to
 * the wait a bounded number of times. The code itself is a secret: encrypted at rest, never in events.
 *
 * <p>A code request whose answer was lost (a crash, a 5xx, an unreadable body) cannot be read back: the provider may
 * or may not have sent the code. The wait then says only what is known ("a code may have been sent"), and when no
 * code has come after {@code app.code-wait.quiet-period-ms} it asks for a new code by itself, once per such doubt.
 */
public final class CodeWait {
    public static final String CODE = "verificationCode";
    /** Wrong codes in a row; a control counter (the {@code control} column, not in events). */
    static final String WRONG_CODES = "wrongCodes";
    /** Set while the last code request's answer was lost; a control flag (not in events). */
    static final String REQUEST_IN_DOUBT = "codeRequestInDoubt";
    /** Set when the wait asked for a new code by itself; the next wait says why. */
    static final String REQUESTED_AGAIN = "codeRequestedAgain";

    private final Duration validity;
    private final int maxWrongCodes;
    private final Duration quietPeriod;

    public CodeWait(Duration validity, int maxWrongCodes, Duration quietPeriod) {
        this.validity = validity;
        this.maxWrongCodes = maxWrongCodes;
        this.quietPeriod = quietPeriod;
    }

    /**
     * The reconcile of a code request cut off before its answer: its effect cannot be read back, so go on to the
     * wait (a code may be on its way, and asking again at once would send a second one), in doubt.
     */
    public StepOutcome requestInDoubt(Migration m) {
        m.setFlag(REQUEST_IN_DOUBT, true);
        return StepOutcome.succeeded();
    }

    /**
     * The {@code await-code} step: done once a code was submitted, else wait for one.
     *
     * @param requestStep the step that asks the provider for a code (the route template's parameter)
     */
    public StepOutcome await(Migration m, String requestStep) {
        if (m.hasSecret(CODE)) {
            m.setFlag(REQUEST_IN_DOUBT, false);
            return StepOutcome.succeeded();
        }
        Instant now = m.now();
        boolean waiting = m.getExpiresAt() != null; // set when the code was asked for; a wrong code keeps it
        if (waiting && !now.isBefore(m.getExpiresAt())) {
            return new StepOutcome.Failed(ProviderError.of("engine", "EXPIRED", "no verification code was submitted "
                    + "before it expired at " + m.getExpiresAt() + "; start a new migration", ErrorClass.PERMANENT));
        }
        Instant expires = waiting ? m.getExpiresAt() : now.plus(validity);
        if (m.flag(REQUEST_IN_DOUBT)) {
            Instant askAgainAt = expires.minus(validity).plus(quietPeriod);
            if (!now.isBefore(askAgainAt)) {
                // no code came after a request that may never have reached the provider: ask once more, by itself
                m.setFlag(REQUEST_IN_DOUBT, false);
                m.setFlag(REQUESTED_AGAIN, true);
                return new StepOutcome.GoTo(requestStep, null, Map.of());
            }
            return new StepOutcome.Await(Awaiting.VERIFICATION_CODE, "a verification code may have been sent to +"
                    + m.getPhoneE164() + " (the answer to the request was lost, so it is not known whether the provider "
                    + "sent it); send it with SubmitVerificationCode before " + expires + ". If none arrives by "
                    + askAgainAt + " a new code is requested automatically (or send ResendVerificationCode now)",
                    expires, askAgainAt);
        }
        int wrong = m.counter(WRONG_CODES);
        boolean requestedAgain = m.flag(REQUESTED_AGAIN);
        m.setFlag(REQUESTED_AGAIN, false);
        String again = !requestedAgain ? ""
                : "no code arrived within " + quietPeriod.toMinutes() + " min of a request whose answer was lost, so "
                    + "a new code was requested: ";
        String reason = wrong == 0
                ? again + "a verification code was sent to +" + m.getPhoneE164() + "; send it with SubmitVerificationCode "
                    + "(or ResendVerificationCode for a new one) before " + expires
                : "the submitted code was wrong (" + wrong + " of " + maxWrongCodes + " tries used); send the right "
                    + "code with SubmitVerificationCode before " + expires;
        return new StepOutcome.Await(Awaiting.VERIFICATION_CODE, reason, expires, null);
    }

    /** A person asked for a new code ({@code ResendVerificationCode}): the new request settles any doubt. */
    static void resendRequested(Migration m) {
        m.forgetSecret(CODE);
        m.setFlag(REQUEST_IN_DOUBT, false);
        m.setFlag(REQUESTED_AGAIN, false);
    }

    /** The code the verify step sends. */
    public String code(Migration m) {
        return m.secret(CODE);
    }

    /**
     * The provider said the code was wrong: back to the wait, or stop before the number gets locked.
     *
     * @param wait the code wait's step, named by the verify route
     */
    public StepOutcome wrongCode(Migration m, ProviderError error, String wait) {
        int wrong = m.counter(WRONG_CODES) + 1;
        m.forgetSecret(CODE);
        if (wrong >= maxWrongCodes) {
            m.setCounter(WRONG_CODES, 0);
            m.resumeAt(wait); // a resume waits for a fresh code
            return new StepOutcome.NeedsHuman(error, wrong + " wrong verification codes in a row: stopped before the "
                    + "provider locks the number; confirm the code with the number's owner, then send ResumeMigration "
                    + "and submit it");
        }
        m.setCounter(WRONG_CODES, wrong);
        return new StepOutcome.GoTo(wait, error, Map.of());
    }
}
