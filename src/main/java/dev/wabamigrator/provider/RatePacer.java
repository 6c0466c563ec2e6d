package dev.wabamigrator.provider;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.jdbc.BucketTableSettings;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.jdbc.SQLProxyConfiguration;
import io.github.bucket4j.distributed.proxy.ClientSideConfig;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.postgresql.PostgreSQLSelectForUpdateBasedProxyManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * Holds calls to a provider's per-operation limit before the provider has to refuse them. The limit belongs to the
 * account (the AccessKey), so it is counted per account and operation, in two token buckets of capacity one call,
 * refilled greedily:
 * <ul>
 *   <li>the <b>plan</b>: each call reserves the next evenly spaced slot at the configured rate ({@link #reserve});
 *       the route waits for it without a thread. Reservations queue the calls of all instances in one order.</li>
 *   <li>the <b>send guard</b>: at its slot, right before it is sent, a call takes a token that refills at the
 *       minimum spacing between two sends ({@link #tryAcquire}). A call that comes late (CPU load, a pause, a
 *       restart) only delays the calls after it: late calls cannot bunch up, because what counts is when the
 *       request leaves, not when it was planned. The guard's spacing is a little shorter than the plan's, so
 *       calls on time are never refused and late ones catch up.</li>
 * </ul>
 * On PostgreSQL the buckets live in the shared database (bucket4j-postgresql; the row is locked with SELECT ... FOR
 * UPDATE), so every instance on the account counts against the same limit; on H2 (one instance) they stay in memory.
 */
public final class RatePacer {
    /** The bucket4j table (Flyway V9). */
    public static final String TABLE = "provider_rate_bucket";

    private final long planIntervalNanos;
    private final long sendIntervalNanos;
    private final String account;
    private final Function<String, Bucket> newPlan;
    private final Function<String, Bucket> newSendGuard;
    private final Map<String, Bucket> plans = new ConcurrentHashMap<>();
    private final Map<String, Bucket> sendGuards = new ConcurrentHashMap<>();

    private RatePacer(Pace pace, String account, Function<BucketConfiguration, Function<String, Bucket>> buckets) {
        this.planIntervalNanos = pace.planIntervalNanos();
        this.sendIntervalNanos = pace.sendIntervalNanos();
        this.account = account == null || account.isBlank() ? "default" : account;
        this.newPlan = buckets.apply(configuration(planIntervalNanos));
        this.newSendGuard = buckets.apply(configuration(sendIntervalNanos));
    }

    /**
     * @param perSecond      the planned rate per operation and account; 0 or less turns pacing off
     * @param minSendSpacing no two calls of one operation leave closer than this (at most the plan's interval)
     */
    public record Pace(double perSecond, Duration minSendSpacing) {
        long planIntervalNanos() {
            return perSecond <= 0 ? 0 : Math.round(1_000_000_000 / perSecond);
        }

        long sendIntervalNanos() {
            return Math.min(planIntervalNanos(), Math.max(1, minSendSpacing.toNanos()));
        }
    }

    /** Buckets in this instance's memory: right for one instance (H2). */
    public static RatePacer local(Clock clock, Pace pace, String account) {
        TimeMeter meter = timeMeter(clock);
        return new RatePacer(pace, account, configuration -> key -> Bucket.builder()
                .addLimit(configuration.getBandwidths()[0]).withCustomTimePrecision(meter).build());
    }

    /**
     * Buckets in the shared PostgreSQL database: every instance with the same account draws from the same buckets.
     * Their clock is each host's wall clock (keep the hosts on NTP).
     */
    public static RatePacer shared(Clock clock, Pace pace, String account, DataSource dataSource) {
        ProxyManager<String> proxies = new PostgreSQLSelectForUpdateBasedProxyManager<>(SQLProxyConfiguration.builder()
                .withPrimaryKeyMapper(PrimaryKeyMapper.STRING)
                .withTableSettings(BucketTableSettings.customSettings(TABLE, "id", "state"))
                .withClientSideConfig(ClientSideConfig.getDefault().withClientClock(timeMeter(clock)))
                .build(dataSource));
        return new RatePacer(pace, account, configuration -> key -> proxies.builder().build(key, () -> configuration));
    }

    /** Reserves the next planned slot for one call of {@code operation}: milliseconds to wait for it. */
    public long reserve(String operation) {
        if (planIntervalNanos == 0) {
            return 0;
        }
        return toMillis(bucket(plans, newPlan, operation, "plan").consumeIgnoringRateLimits(1));
    }

    /**
     * Takes the send guard's token for one call of {@code operation}, to be sent right now: 0 when granted, else the
     * milliseconds until the next token (then ask again).
     */
    public long tryAcquire(String operation) {
        if (planIntervalNanos == 0) {
            return 0;
        }
        ConsumptionProbe probe = bucket(sendGuards, newSendGuard, operation, "send").tryConsumeAndReturnRemaining(1);
        return probe.isConsumed() ? 0 : Math.max(1, toMillis(probe.getNanosToWaitForRefill()));
    }

    /**
     * The provider throttled a call of {@code operation} and asked to wait {@code retryAfter}: no call of that
     * operation, from any instance on the account, is sent before it has passed, and later plans move back by it.
     */
    public void backOff(String operation, Duration retryAfter) {
        if (planIntervalNanos == 0 || retryAfter.isNegative() || retryAfter.isZero()) {
            return;
        }
        long nanos = retryAfter.toNanos();
        // the tokens of that span, taken ahead: the buckets run into debt, and every instance waits it out
        bucket(plans, newPlan, operation, "plan").consumeIgnoringRateLimits(ceilDiv(nanos, planIntervalNanos));
        bucket(sendGuards, newSendGuard, operation, "send").consumeIgnoringRateLimits(ceilDiv(nanos, sendIntervalNanos));
    }

    /** Planned calls per second and operation for the account; 0 when off. */
    public double perSecond() {
        return planIntervalNanos == 0 ? 0 : 1e9 / planIntervalNanos;
    }

    private Bucket bucket(Map<String, Bucket> buckets, Function<String, Bucket> factory, String operation, String kind) {
        return buckets.computeIfAbsent(operation, op -> factory.apply(account + ":" + op + ":" + kind));
    }

    private static BucketConfiguration configuration(long intervalNanos) {
        // capacity one call: two grants are at least one interval apart, so any rolling second holds the limit
        return BucketConfiguration.builder()
                .addLimit(limit -> limit.capacity(1).refillGreedy(1, Duration.ofNanos(Math.max(1, intervalNanos))))
                .build();
    }

    private static long toMillis(long nanos) {
        return nanos <= 0 ? 0 : (nanos + 999_999) / 1_000_000;
    }

    private static long ceilDiv(long a, long b) {
        return Math.max(1, (a + b - 1) / b);
    }

    /** The bucket's clock is the service's clock (a wall clock, comparable between hosts). */
    private static TimeMeter timeMeter(Clock clock) {
        return new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                Instant now = clock.instant();
                return now.getEpochSecond() * 1_000_000_000L + now.getNano();
            }

            @Override
            public boolean isWallClockBased() {
                return true;
            }
        };
    }
}
