package dev.wabamigrator.provider.meta;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.wabamigrator.support.MutableClock;
import dev.wabamigrator.store.RegisterAttemptStore;
import dev.wabamigrator.store.Sql;
import dev.wabamigrator.support.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The register budget as persisted in {@code register_attempt} (Flyway V2), on H2 and PostgreSQL: attempts outlive
 * the object that recorded them, so 10 recorded failures never become an 11th call, and a 133016 locks the number
 * for the whole window.
 */
class RegisterBudgetIT {
    private static final Duration WINDOW = Duration.ofHours(72);
    private static final String PHONE = "16505551234";

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void should_never_make_an_eleventh_call_after_ten_recorded_failures(String kind) {
        try (HikariDataSource dataSource = TestDatabase.of(kind).migratedPool()) {
            Sql sql = new Sql(dataSource);
            MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
            Instant first = clock.instant();
            RegisterAttempts attempts = new RegisterAttempts(new RegisterAttemptStore(sql), new RegisterBudget(WINDOW, 10, 0), clock);
            for (int i = 0; i < 10; i++) {
                RegisterAttempts.Admission admission = attempts.admit(PHONE, "m-" + i, RegisterAttempts.REGISTER);
                assertThat(admission.allowed()).as("call %d", i + 1).isTrue();
                attempts.recordOutcome(admission.attemptId(), "133005");
                clock.advance(Duration.ofMinutes(10));
            }

            // a fresh instance (a restart, another migration of the number) reads the same rows
            RegisterAttempts afterRestart = new RegisterAttempts(new RegisterAttemptStore(sql), new RegisterBudget(WINDOW, 10, 0), clock);
            RegisterAttempts.Admission eleventh = afterRestart.admit(PHONE, "m-new", RegisterAttempts.REGISTER);

            assertThat(eleventh.allowed()).isFalse();
            assertThat(eleventh.decision().usedInWindow()).isEqualTo(10);
            assertThat(eleventh.nextAllowedAt()).isEqualTo(first.plus(WINDOW));
            assertThat(count(sql)).isEqualTo(10);
            assertThat(afterRestart.admit("5511987654321", "m-other", RegisterAttempts.REGISTER).allowed())
                    .as("another number has its own budget").isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void should_keep_the_last_slot_for_a_person_and_free_one_when_the_oldest_call_leaves_the_window(String kind) {
        try (HikariDataSource dataSource = TestDatabase.of(kind).migratedPool()) {
            Sql sql = new Sql(dataSource);
            MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
            RegisterAttempts attempts = new RegisterAttempts(new RegisterAttemptStore(sql), new RegisterBudget(), clock);
            for (int i = 0; i < 9; i++) {
                assertThat(attempts.admit(PHONE, "m-1", RegisterAttempts.REGISTER).allowed()).isTrue();
                clock.advance(Duration.ofHours(1));
            }

            assertThat(attempts.admit(PHONE, "m-1", RegisterAttempts.REGISTER).allowed()).isFalse();

            clock.advance(WINDOW.minus(Duration.ofHours(9)).plusSeconds(1)); // the first call is now 72 h + 1 s old
            assertThat(attempts.admit(PHONE, "m-1", RegisterAttempts.REGISTER).allowed()).isTrue();
            assertThat(count(sql)).isEqualTo(10);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void should_lock_the_number_for_the_window_after_133016(String kind) {
        try (HikariDataSource dataSource = TestDatabase.of(kind).migratedPool()) {
            Sql sql = new Sql(dataSource);
            MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
            Instant lockedAt = clock.instant();
            RegisterAttempts attempts = new RegisterAttempts(new RegisterAttemptStore(sql), new RegisterBudget(), clock);
            RegisterAttempts.Admission admission = attempts.admit(PHONE, "m-1", RegisterAttempts.REGISTER);
            attempts.recordOutcome(admission.attemptId(), "133016");
            clock.advance(Duration.ofHours(1));

            RegisterAttempts.Admission refused = attempts.admit(PHONE, "m-1", RegisterAttempts.REGISTER);

            assertThat(refused.allowed()).isFalse();
            assertThat(refused.lockedUntil()).isEqualTo(lockedAt.plus(WINDOW));
            assertThat(refused.nextAllowedAt()).isEqualTo(lockedAt.plus(WINDOW));

            clock.advance(WINDOW);
            assertThat(attempts.admit(PHONE, "m-1", RegisterAttempts.REGISTER).allowed()).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"h2", "postgresql"})
    void should_count_a_register_whose_answer_was_lost(String kind) {
        try (HikariDataSource dataSource = TestDatabase.of(kind).migratedPool()) {
            Sql sql = new Sql(dataSource);
            MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
            RegisterAttempts attempts = new RegisterAttempts(new RegisterAttemptStore(sql), new RegisterBudget(WINDOW, 3, 0), clock);
            // admitted and sent, then the connection dropped or the process died: no outcome is ever recorded
            assertThat(attempts.admit(PHONE, "m-1", RegisterAttempts.REGISTER).allowed()).isTrue();
            RegisterAttempts.Admission answered = attempts.admit(PHONE, "m-1", RegisterAttempts.REGISTER);
            attempts.recordOutcome(answered.attemptId(), "HTTP_500");

            RegisterAttempts.Admission third = attempts.admit(PHONE, "m-1", RegisterAttempts.REGISTER);
            assertThat(third.decision().usedInWindow()).as("sends before the third").isEqualTo(2);
            assertThat(attempts.admit(PHONE, "m-1", RegisterAttempts.REGISTER).allowed())
                    .as("the lost answer used a slot of the three").isFalse();
        }
    }

    private static long count(Sql sql) {
        return sql.query("find-register-attempts", Map.of("phoneE164", PHONE, "since", Instant.EPOCH), row -> 1).size();
    }
}
