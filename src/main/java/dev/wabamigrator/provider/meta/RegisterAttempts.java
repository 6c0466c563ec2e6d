package dev.wabamigrator.provider.meta;

import dev.wabamigrator.store.RegisterAttemptStore;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The persisted side of the {@code /register} budget (bean {@code registerAttempts}): every register call is
 * recorded in {@code register_attempt} before it is sent, and {@link RegisterBudget} decides from those rows
 * whether one more may go. A 133016 answer locks the number for the whole window, whatever the count says.
 * The rows outlive restarts and migrations, so 10 recorded attempts never become an 11th call.
 */
public final class RegisterAttempts {
    public static final String REGISTER = "register";
    public static final String DEREGISTER = "deregister";
    /** The outcome recorded for a successful call. */
    public static final String OK = "OK";
    /** Graph's "register/deregister budget exhausted": the number is locked for the window. */
    public static final String LOCKED = "133016";

    private final RegisterAttemptStore store;
    private final RegisterBudget budget;
    private final Clock clock;

    public RegisterAttempts(RegisterAttemptStore store, RegisterBudget budget, Clock clock) {
        this.store = store;
        this.budget = budget;
        this.clock = clock;
    }

    /**
     * The answer for one prospective call.
     *
     * @param attemptId   the recorded attempt when allowed, else null
     * @param decision    the budget's decision (counts in the window)
     * @param lockedUntil end of a 133016 lock that refuses the call, or null
     */
    public record Admission(String attemptId, RegisterBudget.Decision decision, Instant lockedUntil) {
        public boolean allowed() {
            return attemptId != null;
        }

        /** When the call would be possible. */
        public Instant nextAllowedAt() {
            if (lockedUntil != null && lockedUntil.isAfter(decision.nextAllowedAt())) {
                return lockedUntil;
            }
            return decision.nextAllowedAt();
        }
    }

    /** Checks the budget and, when a call is allowed, records it (one transaction): call this right before sending. */
    public Admission admit(String phoneE164, String migrationId, String operation) {
        return store.inTransaction(connection -> {
            Instant now = clock.instant();
            List<Instant> times = new ArrayList<>();
            Instant lockedUntil = null;
            for (RegisterAttemptStore.Attempt attempt : store.since(connection, phoneE164, now.minus(budget.window()))) {
                times.add(attempt.at());
                Instant until = attempt.at().plus(budget.window());
                if (isLock(attempt.outcome()) && until.isAfter(now) && (lockedUntil == null || until.isAfter(lockedUntil))) {
                    lockedUntil = until;
                }
            }
            RegisterBudget.Decision decision = budget.check(times, now);
            if (!decision.allowed() || lockedUntil != null) {
                return new Admission(null, decision, lockedUntil);
            }
            String attemptId = UUID.randomUUID().toString();
            store.insert(connection, attemptId, phoneE164, migrationId, operation, now);
            return new Admission(attemptId, decision, null);
        });
    }

    /** Records how an admitted call ended: {@link #OK} or the Graph code. */
    public void recordOutcome(String attemptId, String outcome) {
        store.recordOutcome(attemptId, outcome);
    }

    private static boolean isLock(String outcome) {
        return outcome != null && outcome.split("/", 2)[0].equals(LOCKED);
    }

    public RegisterBudget budget() {
        return budget;
    }
}
