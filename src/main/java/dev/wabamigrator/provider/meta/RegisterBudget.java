package dev.wabamigrator.provider.meta;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The {@code /register} budget policy (provider-apis.md §2.5): Meta allows 10 register/deregister
 * requests per number per 72 h moving window and answers the next one with 133016, locking the
 * number for 72 h. Every attempt counts, failed ones included, so the caller records an attempt
 * <em>before</em> the call and asks this policy first.
 *
 * <p>A safety margin keeps the last slots for a person: with the defaults (limit 10, margin 1) at
 * most 9 calls are made per window. An operator override may use the margin but never exceeds the
 * provider's limit, so 10 recorded attempts never become an 11th call.
 *
 * <p>Pure: the caller supplies the attempt timestamps (register and deregister alike) and "now".
 */
public final class RegisterBudget {

    public static final Duration META_WINDOW = Duration.ofHours(72);
    public static final int META_LIMIT = 10;
    public static final int DEFAULT_SAFETY_MARGIN = 1;

    private final Duration window;
    private final int providerLimit;
    private final int safetyMargin;

    /** Meta's budget (10 per 72 h) with a safety margin of 1: at most 9 calls. */
    public RegisterBudget() {
        this(META_WINDOW, META_LIMIT, DEFAULT_SAFETY_MARGIN);
    }

    /**
     * @param window        the moving window (72 h at Meta)
     * @param providerLimit calls the provider accepts per window (10 at Meta)
     * @param safetyMargin  calls kept back from automation (0..providerLimit-1)
     */
    public RegisterBudget(Duration window, int providerLimit, int safetyMargin) {
        if (window == null || window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window must be positive");
        }
        if (providerLimit < 1 || safetyMargin < 0 || safetyMargin >= providerLimit) {
            throw new IllegalArgumentException("need providerLimit >= 1 and 0 <= safetyMargin < providerLimit");
        }
        this.window = window;
        this.providerLimit = providerLimit;
        this.safetyMargin = safetyMargin;
    }

    /**
     * The answer for one prospective call.
     *
     * @param allowed        true when the call may be made now
     * @param usedInWindow   attempts inside the window ending now
     * @param allowedInWindow the cap applied (limit − margin, or the limit under override)
     * @param nextAllowedAt  now when allowed; else the first instant at which the call would be allowed
     */
    public record Decision(boolean allowed, int usedInWindow, int allowedInWindow, Instant nextAllowedAt) {

        /** Calls still possible in the current window under the applied cap. */
        public int remaining() {
            return Math.max(0, allowedInWindow - usedInWindow);
        }

        /** How long until the call is possible ({@link Duration#ZERO} when allowed). */
        public Duration waitFrom(Instant now) {
            return allowed || nextAllowedAt.isBefore(now) ? Duration.ZERO : Duration.between(now, nextAllowedAt);
        }
    }

    /** Decision with the safety margin applied. */
    public Decision check(Collection<Instant> attempts, Instant now) {
        return check(attempts, now, false);
    }

    /**
     * Decision for a call at {@code now}.
     *
     * @param attempts         every earlier register/deregister attempt of the number (nulls ignored, any order)
     * @param now              the time of the prospective call
     * @param operatorOverride true lets the call use the safety margin, never the provider's last slot+1
     */
    public Decision check(Collection<Instant> attempts, Instant now, boolean operatorOverride) {
        Objects.requireNonNull(now, "now");
        int cap = operatorOverride ? providerLimit : providerLimit - safetyMargin;
        Instant windowStart = now.minus(window);
        // attempts inside (now - window, now]; future timestamps (clock skew) count too
        List<Instant> inWindow = attempts == null ? List.of() : attempts.stream()
                .filter(Objects::nonNull)
                .filter(t -> t.isAfter(windowStart))
                .sorted()
                .toList();
        int used = inWindow.size();
        if (used < cap) {
            return new Decision(true, used, cap, now);
        }
        // the call becomes possible once (used - cap + 1) of the oldest attempts have left the window
        Instant freedAt = inWindow.get(used - cap).plus(window);
        return new Decision(false, used, cap, freedAt.isAfter(now) ? freedAt : now);
    }

    public Duration window() {
        return window;
    }

    public int providerLimit() {
        return providerLimit;
    }

    public int safetyMargin() {
        return safetyMargin;
    }
}
