package dev.wabamigrator.provider;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Holds calls to a provider's per-operation rate limit before the provider has to refuse them: each call
 * reserves the next free slot of its operation, slots evenly spaced, and waits (non-blocking, in the route) until
 * it. Evenly spaced slots never burst, so a limit measured over any rolling second holds at the provider too.
 * The limit is per instance: with several instances, give each its share.
 */
public final class RatePacer {
    private final Clock clock;
    private final long intervalMicros;
    private final Map<String, Long> nextFreeMicros = new ConcurrentHashMap<>();

    /** @param perSecond calls allowed per operation per second; 0 or less disables pacing */
    public RatePacer(Clock clock, double perSecond) {
        this.clock = clock;
        this.intervalMicros = perSecond <= 0 ? 0 : Math.round(1_000_000 / perSecond);
    }

    /** Reserves a slot for one call of {@code operation}; returns how many milliseconds to wait for it. */
    public long reserve(String operation) {
        if (intervalMicros == 0) {
            return 0;
        }
        long now = nowMicros();
        long slot = nextFreeMicros.merge(operation, now + intervalMicros,
                (next, ignored) -> Math.max(next, now) + intervalMicros) - intervalMicros;
        return Math.max(0, (slot - now + 999) / 1000);
    }

    private long nowMicros() {
        java.time.Instant instant = clock.instant();
        return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1000;
    }
}
