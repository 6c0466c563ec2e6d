package dev.wabamigrator.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The verification-code wait that the code flows share (bean {@code codeWait}): park until a
 * {@code SubmitVerificationCode} arrives, fail when the code's validity runs out, and send a wrong code back to
 * the wait a bounded number of times. The code itself is a secret: encrypted at rest, never in events.
 */
public final class CodeWait {
    public static final String CODE = "verificationCode";
    private static final String WRONG_CODES = "wrongCodes";

    private final FlowRegistry flows;
    private final Duration validity;
    private final int maxWrongCodes;

    public CodeWait(FlowRegistry flows, Duration validity, int maxWrongCodes) {
        this.flows = flows;
        this.validity = validity;
        this.maxWrongCodes = maxWrongCodes;
    }

    /** The {@code await-code} step: done once a code was submitted, else wait for one. */
    public StepOutcome await(Migration m) {
        if (m.hasSecret(CODE)) {
            return StepOutcome.succeeded();
        }
        Instant now = m.now();
        boolean waiting = m.expiresAt != null; // set when the code was asked for; a wrong code keeps it
        if (waiting && !now.isBefore(m.expiresAt)) {
            return new StepOutcome.Failed(ProviderError.of("engine", "EXPIRED", "no verification code was submitted "
                    + "before it expired at " + m.expiresAt + "; start a new migration", ErrorClass.PERMANENT));
        }
        Instant expires = waiting ? m.expiresAt : now.plus(validity);
        int wrong = wrongCodes(m);
        String reason = wrong == 0
                ? "a verification code was sent to +" + m.phoneE164 + "; send it with SubmitVerificationCode "
                    + "(or ResendVerificationCode for a new one) before " + expires
                : "the submitted code was wrong (" + wrong + " of " + maxWrongCodes + " tries used); send the right "
                    + "code with SubmitVerificationCode before " + expires;
        return new StepOutcome.Await(Awaiting.VERIFICATION_CODE, reason, expires, null);
    }

    /** The code the verify step sends. */
    public String code(Migration m) {
        return m.secret(CODE);
    }

    /** The provider said the code was wrong: back to the wait, or stop before the number gets locked. */
    public StepOutcome wrongCode(Migration m, ProviderError error) {
        int wrong = wrongCodes(m) + 1;
        m.secrets.remove(CODE);
        String wait = flows.get(m.flow).previous(m.step).orElseThrow();
        if (wrong >= maxWrongCodes) {
            m.secrets.remove(WRONG_CODES);
            m.step = wait; // a resume waits for a fresh code
            return new StepOutcome.NeedsHuman(error, wrong + " wrong verification codes in a row: stopped before the "
                    + "provider locks the number; confirm the code with the number's owner, then send ResumeMigration "
                    + "and submit it");
        }
        m.secrets.put(WRONG_CODES, Integer.toString(wrong));
        return new StepOutcome.GoTo(wait, error, Map.of());
    }

    private static int wrongCodes(Migration m) {
        String value = m.secret(WRONG_CODES);
        return value == null ? 0 : Integer.parseInt(value);
    }
}
