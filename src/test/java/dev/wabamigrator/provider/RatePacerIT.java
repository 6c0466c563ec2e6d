package dev.wabamigrator.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.wabamigrator.support.MutableClock;
import dev.wabamigrator.support.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * The pacer's buckets (bucket4j): in memory for one instance, and in the shared PostgreSQL table (Flyway V9) for
 * several instances on one account. Two pacers on one database stand for two instances.
 */
class RatePacerIT {
    private static final String INITIATE = "CreateChatappMigrationInitiate";
    private static final String REGISTER = "ChatappMigrationRegister";
    private static final RatePacer.Pace TEN_PER_SECOND = new RatePacer.Pace(10, Duration.ofMillis(100));

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));

    @Test
    void should_plan_calls_evenly_and_refuse_a_send_closer_than_the_spacing() {
        RatePacer pacer = RatePacer.local(clock, new RatePacer.Pace(9.7, Duration.ofMillis(102)), "alibaba:key");
        assertThat(pacer.reserve(INITIATE)).isZero();
        assertThat(pacer.reserve(INITIATE)).isEqualTo(104); // 1 / 9.7 s, rounded up to the millisecond
        assertThat(pacer.reserve(INITIATE)).isEqualTo(207);
        assertThat(pacer.reserve(REGISTER)).as("another operation has its own limit").isZero();

        assertThat(pacer.tryAcquire(INITIATE)).isZero();
        // a call planned earlier but sent late is refused until the spacing since the last send has passed
        clock.advance(Duration.ofMillis(30));
        assertThat(pacer.tryAcquire(INITIATE)).isEqualTo(72);
        clock.advance(Duration.ofMillis(72));
        assertThat(pacer.tryAcquire(INITIATE)).isZero();
    }

    @Test
    void should_hold_every_call_of_the_operation_after_a_throttle_for_the_wait_the_provider_asked() {
        RatePacer pacer = RatePacer.local(clock, TEN_PER_SECOND, "alibaba:key");
        assertThat(pacer.tryAcquire(INITIATE)).isZero();
        clock.advance(Duration.ofMillis(100));

        pacer.backOff(INITIATE, Duration.ofMillis(2000)); // x-acs-retry-after: 2000

        assertThat(pacer.tryAcquire(INITIATE)).as("the next send of the operation").isBetween(1900L, 2100L);
        assertThat(pacer.reserve(INITIATE)).as("the next planned slot").isBetween(1900L, 2100L);
        assertThat(pacer.tryAcquire(REGISTER)).as("another operation is not held").isZero();
        clock.advance(Duration.ofMillis(2100));
        assertThat(pacer.tryAcquire(INITIATE)).isZero();
    }

    @Test
    void should_share_the_account_limit_between_instances_on_one_postgresql() {
        try (HikariDataSource dataSource = migrated(TestDatabase.postgres())) {
            RatePacer first = RatePacer.shared(clock, TEN_PER_SECOND, "alibaba:key", dataSource);
            RatePacer second = RatePacer.shared(clock, TEN_PER_SECOND, "alibaba:key", dataSource);
            RatePacer otherAccount = RatePacer.shared(clock, TEN_PER_SECOND, "alibaba:other-key", dataSource);

            // one queue of planned slots for both
            assertThat(first.reserve(INITIATE)).isZero();
            assertThat(second.reserve(INITIATE)).isEqualTo(100);
            assertThat(first.reserve(INITIATE)).isEqualTo(200);

            // one send guard: the second instance's send right after the first's is refused
            assertThat(first.tryAcquire(INITIATE)).isZero();
            assertThat(second.tryAcquire(INITIATE)).isEqualTo(100);
            assertThat(otherAccount.tryAcquire(INITIATE)).as("another AccessKey has its own limit").isZero();
            clock.advance(Duration.ofMillis(100));
            assertThat(second.tryAcquire(INITIATE)).isZero();

            // a throttle seen by one instance holds the other
            clock.advance(Duration.ofMillis(100));
            first.backOff(INITIATE, Duration.ofMillis(1500));
            assertThat(second.tryAcquire(INITIATE)).isBetween(1400L, 1600L);
        }
    }

    private static HikariDataSource migrated(TestDatabase database) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(database.url());
        config.setUsername(database.user());
        config.setPassword(database.password());
        config.setMaximumPoolSize(2);
        HikariDataSource dataSource = new HikariDataSource(config);
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
        return dataSource;
    }
}
