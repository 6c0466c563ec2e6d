package dev.wabamigrator.engine;

import dev.wabamigrator.store.ProviderPauseStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds every call to a provider whose credentials or request signer failed: the next call would fail the same way
 * for every migration. The pause lives in the database ({@code provider_pause}), the point every instance shares;
 * each instance reads it at most once per {@code refresh}. Raising it alerts once (one ERROR line, one
 * {@code waba_provider_paused_total}); {@code ResumeMigration} of the migration that hit it, or a restart, ends it.
 */
public final class ProviderPauses {
    private static final Logger LOG = LoggerFactory.getLogger(ProviderPauses.class);
    private static final int MAX_MESSAGE = 1000;

    /** A pause in force: what failed, for which migration, since when. */
    public record Pause(String provider, String code, String message, String migrationId, Instant since) {
    }

    private record Seen(Optional<Pause> pause, Instant readAt) {
    }

    private final ProviderPauseStore store;
    private final Clock clock;
    private final Duration refresh;
    private final Duration recheck;
    private final EngineMetrics metrics;
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    /** The providers whose pause one thread reads now: the others go on with what was seen last meanwhile. */
    private final Set<String> reading = ConcurrentHashMap.newKeySet();

    /**
     * @param refresh how stale this instance's view of a pause may be ({@code app.provider.pause.refresh-ms})
     * @param recheck how long a migration parked by a pause waits before it looks again ({@code app.provider.pause.recheck-ms})
     */
    public ProviderPauses(ProviderPauseStore store, Clock clock, Duration refresh, Duration recheck,
                          EngineMetrics metrics) {
        this.store = store;
        this.clock = clock;
        this.refresh = refresh;
        this.recheck = recheck;
        this.metrics = metrics;
    }

    /**
     * Pauses every call to {@code provider} because of {@code error}, met by migration {@code migrationId}.
     *
     * @return true when this call raised the pause (it alerted), false when one was already in force
     */
    public boolean pause(String provider, ProviderError error, String migrationId) {
        Instant now = clock.instant();
        String message = error.message().length() <= MAX_MESSAGE ? error.message()
                : error.message().substring(0, MAX_MESSAGE);
        Pause pause = new Pause(provider, error.code(), message, migrationId, now);
        if (!store.insert(pause)) {
            seen.remove(provider); // another migration or instance raised it first
            return false;
        }
        seen.put(provider, new Seen(Optional.of(pause), now));
        LOG.error("every {} call is paused: {} {} (migration {}); fix the credentials or the signer, then send "
                + "ResumeMigration for {} or restart", provider, error.code(), error.traceId() == null ? ""
                : "RequestId " + error.traceId(), migrationId, migrationId);
        metrics.providerPaused(provider, error.code());
        return true;
    }

    /** The pause in force for {@code provider}, as this instance last read it (at most {@code refresh} old). */
    public Optional<Pause> active(String provider) {
        Instant now = clock.instant();
        Seen last = seen.get(provider);
        if (last != null && now.isBefore(last.readAt().plus(refresh))) {
            return last.pause();
        }
        // one read per refresh, however many calls come at once
        if (!reading.add(provider)) {
            if (last != null) {
                return last.pause();
            }
            return store.find(provider);
        }
        try {
            Optional<Pause> found = store.find(provider);
            seen.put(provider, new Seen(found, now));
            return found;
        } finally {
            reading.remove(provider);
        }
    }

    /** Throws when {@code provider} is paused, before anything is sent: the migration parks until the recheck. */
    public void requireNotPaused(String provider) {
        active(provider).ifPresent(pause -> {
            throw new ProviderPausedException(ProviderError.of(pause.provider(), pause.code(), "every " + provider
                    + " call is paused since " + pause.since() + " (" + pause.code() + " met by migration "
                    + pause.migrationId() + "); nothing was sent", ErrorClass.TRANSIENT),
                    clock.instant().plus(recheck));
        });
    }

    /**
     * The {@code ResumeMigration} of {@code migrationId} ended the pause it raised (the store deleted it with the
     * resume): forget what this instance saw, so calls go again at once.
     */
    void endedBy(String migrationId) {
        seen.clear();
        LOG.warn("provider calls resume: ResumeMigration of {} ended the pause it raised", migrationId);
    }

    /** A (re)start may bring fixed credentials: end every pause; a still-broken key pauses again on its first call. */
    public void endAll() {
        if (store.deleteAll()) {
            LOG.warn("provider calls resume: the pauses in force were ended by this start");
        }
        seen.clear();
    }
}
