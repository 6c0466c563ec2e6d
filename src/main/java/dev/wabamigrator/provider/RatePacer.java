package dev.wabamigrator.provider;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
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
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * Holds calls to a provider's per-operation limit before the provider has to refuse them. The limit belongs to the
 * account (the AccessKey), so it is counted per account and operation, in two token buckets (bucket4j):
 * Each operation has its own pace (the provider documents a limit per operation; cams's template listing allows half
 * the calls of its migration operations).
 * <ul>
 *   <li>the <b>plan</b>, capacity one call, refilled greedily at the configured rate: each call reserves the next
 *       evenly spaced slot ({@link #reserve}) and the route waits for it without a thread. Reservations queue the
 *       calls of all instances in one order.</li>
 *   <li>the <b>window</b>, capacity the provider's limit (10): right before it is sent a call takes a token
 *       ({@link #tryAcquire}), and gives it back one second after its answer came ({@link #answered}). A token is
 *       thus used again only once the provider has counted its previous call more than a second ago, whatever
 *       happened in between (CPU load, a pause, a slow network): the provider never sees more than its limit in any
 *       rolling second, counted when requests actually leave and arrive, not when they were planned.</li>
 * </ul>
 * On PostgreSQL both live in the shared database (bucket4j-postgresql; the row is locked with SELECT ... FOR UPDATE),
 * so every instance on the account counts against the same limit; on H2 (one instance) they stay in memory.
 */
public final class RatePacer implements AutoCloseable {
    /** The bucket4j table (Flyway V9). */
    public static final String TABLE = "provider_rate_bucket";
    /** How long a refused call waits before it asks the window again. */
    static final long WINDOW_POLL_MS = 10;
    /** The provider counts calls over this window. */
    static final Duration WINDOW = Duration.ofSeconds(1);
    /**
     * Shared buckets only: a window token whose answer never came back to its instance (the instance died) returns by
     * refill, this slowly. The refill also adds tokens while none were lost, at most one per this period of
     * continuous use (they go when the operation idles and the window is full again), so it is kept very slow.
     * In memory (one instance) nothing is lost: a restart starts a new window.
     */
    static final Duration SHARED_WINDOW_RECOVERY = Duration.ofHours(1);
    /** In memory: in effect no refill (bucket4j needs one), tokens come back only from answers. */
    static final Duration LOCAL_WINDOW_RECOVERY = Duration.ofDays(3650);

    private final Function<String, Pace> paces;
    private final String account;
    private final Duration windowRecovery;
    private final Function<BucketConfiguration, Function<String, Bucket>> buckets;
    private final Map<String, Operation> operations = new ConcurrentHashMap<>();
    private final ScheduledThreadPoolExecutor returns = new ScheduledThreadPoolExecutor(1, runnable -> {
        Thread thread = new Thread(runnable, "rate-window-returns");
        thread.setDaemon(true);
        return thread;
    });

    /** One operation's pace and its two buckets. */
    private record Operation(long planIntervalNanos, Bucket plan, Bucket window) {
    }

    private RatePacer(Function<String, Pace> paces, String account, Duration windowRecovery,
                      Function<BucketConfiguration, Function<String, Bucket>> buckets) {
        this.paces = paces;
        this.account = account == null || account.isBlank() ? "default" : account;
        this.windowRecovery = windowRecovery;
        this.buckets = buckets;
    }

    /**
     * @param perSecond      the planned rate per operation and account; 0 or less turns pacing off
     * @param limitPerSecond the provider's own limit per operation and account, in any rolling second (a planned
     *                       rate above it raises it: whoever sets the rate knows the account's limit)
     */
    public record Pace(double perSecond, int limitPerSecond) {
        long planIntervalNanos() {
            return perSecond <= 0 ? 0 : Math.round(1_000_000_000 / perSecond);
        }

        int windowCalls() {
            return Math.max(1, Math.max(limitPerSecond, (int) Math.ceil(perSecond)));
        }
    }

    /** Buckets in this instance's memory: right for one instance (H2). */
    public static RatePacer local(Clock clock, Pace pace, String account) {
        return local(clock, operation -> pace, account);
    }

    /** As {@link #local(Clock, Pace, String)}, each operation at its own pace ({@code paces} by operation name). */
    public static RatePacer local(Clock clock, Function<String, Pace> paces, String account) {
        TimeMeter meter = timeMeter(clock);
        return new RatePacer(paces, account, LOCAL_WINDOW_RECOVERY, configuration -> key -> Bucket.builder()
                .addLimit(configuration.getBandwidths()[0]).withCustomTimePrecision(meter).build());
    }

    /**
     * Buckets in the shared PostgreSQL database: every instance with the same account draws from the same buckets.
     * Their clock is each host's wall clock (keep the hosts on NTP).
     */
    public static RatePacer shared(Clock clock, Pace pace, String account, DataSource dataSource) {
        return shared(clock, operation -> pace, account, dataSource);
    }

    /** As {@link #shared(Clock, Pace, String, DataSource)}, each operation at its own pace. */
    public static RatePacer shared(Clock clock, Function<String, Pace> paces, String account, DataSource dataSource) {
        ProxyManager<String> proxies = new PostgreSQLSelectForUpdateBasedProxyManager<>(SQLProxyConfiguration.builder()
                .withPrimaryKeyMapper(PrimaryKeyMapper.STRING)
                .withTableSettings(BucketTableSettings.customSettings(TABLE, "id", "state"))
                .withClientSideConfig(ClientSideConfig.getDefault().withClientClock(timeMeter(clock)))
                .build(dataSource));
        return new RatePacer(paces, account, SHARED_WINDOW_RECOVERY, configuration -> key -> proxies.builder().build(key, () -> configuration));
    }

    /** Reserves the next planned slot for one call of {@code operation}: milliseconds to wait for it. */
    public long reserve(String operation) {
        Operation op = operation(operation);
        if (op == null) {
            return 0;
        }
        return toMillis(op.plan().consumeIgnoringRateLimits(1));
    }

    /**
     * Takes a window token for one call of {@code operation}, to be sent right now: 0 when granted (then call
     * {@link #answered} once its answer, or its failure, came), else the milliseconds to wait before asking again.
     */
    public long tryAcquire(String operation) {
        Operation op = operation(operation);
        if (op == null) {
            return 0;
        }
        return op.window().tryConsume(1) ? 0 : WINDOW_POLL_MS;
    }

    /** The call that took a window token was answered (or failed): its token comes back a window later. */
    public void answered(String operation) {
        Operation op = operation(operation);
        if (op == null) {
            return;
        }
        Bucket window = op.window();
        returns.schedule(() -> window.addTokens(1), WINDOW.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * The provider throttled a call of {@code operation} and asked to wait {@code retryAfter}: no call of that
     * operation from this account is planned before it has passed, and the window's free tokens are held as long.
     */
    public void backOff(String operation, Duration retryAfter) {
        Operation op = operation(operation);
        if (op == null || retryAfter.isNegative() || retryAfter.isZero()) {
            return;
        }
        long interval = op.planIntervalNanos();
        // the plan's tokens of that span, taken ahead: the bucket runs into debt, and every instance waits it out
        op.plan().consumeIgnoringRateLimits(Math.max(1, (retryAfter.toNanos() + interval - 1) / interval));
        // calls already at their slot: the free window tokens are held until the wait is over
        Bucket window = op.window();
        long held = window.tryConsumeAsMuchAsPossible();
        if (held > 0) {
            returns.schedule(() -> window.addTokens(held), retryAfter.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Planned calls per second of {@code operation} for the account; 0 when off. */
    public double perSecond(String operation) {
        long interval = paces.apply(operation).planIntervalNanos();
        return interval == 0 ? 0 : 1e9 / interval;
    }

    /** Gives back the tokens still out (after their window, as usual), then stops. */
    @Override
    public void close() {
        returns.shutdown(); // delayed returns still run
        try {
            returns.awaitTermination(WINDOW.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The operation's buckets, made at first use from its pace; null when its pacing is off. */
    private Operation operation(String operation) {
        Operation op = operations.computeIfAbsent(operation, name -> {
            Pace pace = paces.apply(name);
            long interval = pace.planIntervalNanos();
            if (interval == 0) {
                return new Operation(0, null, null);
            }
            Bucket plan = buckets.apply(BucketConfiguration.builder().addLimit(limit -> limit.capacity(1)
                    .refillGreedy(1, Duration.ofNanos(interval))).build()).apply(account + ":" + name + ":plan");
            Bucket window = buckets.apply(BucketConfiguration.builder().addLimit(limit -> limit
                    .capacity(pace.windowCalls()).refillGreedy(1, windowRecovery)).build())
                    .apply(account + ":" + name + ":window");
            return new Operation(interval, plan, window);
        });
        return op.planIntervalNanos() == 0 ? null : op;
    }

    private static long toMillis(long nanos) {
        return nanos <= 0 ? 0 : (nanos + 999_999) / 1_000_000;
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
