package dev.wabamigrator.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.wabamigrator.support.MutableClock;
import dev.wabamigrator.support.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import org.awaitility.Awaitility;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * The pacer's buckets (bucket4j): in memory for one instance, and in the shared PostgreSQL table (Flyway V9) for
 * several instances on one account. Two pacers on one database stand for two instances.
 */
class RatePacerIT {
    private static final String INITIATE = "CreateChatappMigrationInitiate";
    private static final String REGISTER = "ChatappMigrationRegister";
    private static final RatePacer.Pace TEN_PER_SECOND = new RatePacer.Pace(10, 10);

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));

    @Test
    void should_plan_calls_evenly_per_operation() {
        try (RatePacer pacer = RatePacer.local(clock, new RatePacer.Pace(9.8, 10), "alibaba:key")) {
            assertThat(pacer.reserve(INITIATE)).isZero();
            assertThat(pacer.reserve(INITIATE)).isEqualTo(103); // 1 / 9.8 s, rounded up to the millisecond
            assertThat(pacer.reserve(INITIATE)).isEqualTo(205);
            assertThat(pacer.reserve(REGISTER)).as("another operation has its own limit").isZero();
        }
    }

    @Test
    void should_pace_each_operation_at_its_own_rate_and_window() {
        // cams documents 10 per second for the migration operations and 5 for ListChatappTemplate
        String listing = "ListChatappTemplate";
        try (RatePacer pacer = RatePacer.local(clock, operation -> operation.equals(listing)
                ? new RatePacer.Pace(4.9, 5) : new RatePacer.Pace(9.8, 10), "alibaba:key")) {
            assertThat(pacer.reserve(listing)).isZero();
            assertThat(pacer.reserve(listing)).as("1 / 4.9 s").isEqualTo(205);
            assertThat(pacer.reserve(REGISTER)).isZero();
            assertThat(pacer.reserve(REGISTER)).as("the listing takes no slot of register").isEqualTo(103);
            for (int i = 0; i < 5; i++) {
                assertThat(pacer.tryAcquire(listing)).as("listing send %d", i).isZero();
            }
            assertThat(pacer.tryAcquire(listing)).as("a sixth listing within the second").isPositive();
            for (int i = 0; i < 10; i++) {
                assertThat(pacer.tryAcquire(REGISTER)).as("register send %d", i).isZero();
            }
            assertThat(pacer.perSecond(listing)).isEqualTo(4.9, org.assertj.core.data.Offset.offset(0.01));
        }
    }

    @Test
    void should_send_no_more_than_the_limit_until_a_second_after_the_answers() {
        try (RatePacer pacer = RatePacer.local(clock, new RatePacer.Pace(1, 3), "alibaba:key")) {
            for (int i = 0; i < 3; i++) {
                assertThat(pacer.tryAcquire(INITIATE)).as("send %d", i).isZero();
            }
            // however late the planned calls come, a fourth call waits for a token
            clock.advance(Duration.ofSeconds(5));
            assertThat(pacer.tryAcquire(INITIATE)).isPositive();
            assertThat(pacer.tryAcquire(REGISTER)).as("another operation has its own window").isZero();

            pacer.answered(INITIATE);
            // given back one (real) second after the answer, not before
            assertThat(pacer.tryAcquire(INITIATE)).isPositive();
            Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(() -> pacer.tryAcquire(INITIATE) == 0);
            assertThat(pacer.tryAcquire(INITIATE)).as("only the one token came back").isPositive();
        }
    }

    @Test
    void should_hold_every_call_of_the_operation_after_a_throttle_for_the_wait_the_provider_asked() {
        try (RatePacer pacer = RatePacer.local(clock, TEN_PER_SECOND, "alibaba:key")) {
            assertThat(pacer.reserve(INITIATE)).isZero();
            clock.advance(Duration.ofMillis(100));

            pacer.backOff(INITIATE, Duration.ofMillis(2000)); // x-acs-retry-after: 2000

            assertThat(pacer.reserve(INITIATE)).as("the next planned slot").isBetween(1900L, 2100L);
            assertThat(pacer.tryAcquire(INITIATE)).as("a call already at its slot").isPositive();
            assertThat(pacer.reserve(REGISTER)).as("another operation is not held").isZero();
            assertThat(pacer.tryAcquire(REGISTER)).isZero();
        }
    }

    @Test
    void should_share_the_account_limit_between_instances_on_one_postgresql() {
        try (HikariDataSource dataSource = TestDatabase.postgres().migratedPool();
             RatePacer first = RatePacer.shared(clock, new RatePacer.Pace(1, 2), "alibaba:key", dataSource);
             RatePacer second = RatePacer.shared(clock, new RatePacer.Pace(1, 2), "alibaba:key", dataSource);
             RatePacer otherAccount = RatePacer.shared(clock, new RatePacer.Pace(1, 2), "alibaba:other", dataSource)) {
            // one queue of planned slots for both
            assertThat(first.reserve(INITIATE)).isZero();
            assertThat(second.reserve(INITIATE)).isEqualTo(1000);
            assertThat(first.reserve(INITIATE)).isEqualTo(2000);

            // one window: two calls in flight on the account, whichever instance sent them
            assertThat(first.tryAcquire(INITIATE)).isZero();
            assertThat(second.tryAcquire(INITIATE)).isZero();
            assertThat(first.tryAcquire(INITIATE)).isPositive();
            assertThat(second.tryAcquire(INITIATE)).isPositive();
            assertThat(otherAccount.tryAcquire(INITIATE)).as("another AccessKey has its own limit").isZero();
            first.answered(INITIATE);
            Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(() -> second.tryAcquire(INITIATE) == 0);

            // a throttle seen by one instance moves the other's plan back
            clock.advance(Duration.ofSeconds(3));
            first.backOff(INITIATE, Duration.ofMillis(5000));
            assertThat(second.reserve(INITIATE)).isBetween(5000L, 6000L);
        }
    }

}
