package dev.wabamigrator.provider.meta;

import dev.wabamigrator.provider.meta.RegisterBudget.Decision;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RegisterBudgetTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final Duration H72 = Duration.ofHours(72);

    private final RegisterBudget budget = new RegisterBudget();

    /** n attempts, one per hour, the latest one hour ago. */
    private static List<Instant> hourly(int n) {
        List<Instant> out = new ArrayList<>();
        for (int i = n; i >= 1; i--) {
            out.add(NOW.minus(Duration.ofHours(i)));
        }
        return out;
    }

    @Test
    void should_allow_the_first_call() {
        Decision d = budget.check(List.of(), NOW);
        assertThat(d.allowed()).isTrue();
        assertThat(d.nextAllowedAt()).isEqualTo(NOW);
        assertThat(d.remaining()).isEqualTo(9);
        assertThat(budget.check(null, NOW).allowed()).isTrue();
    }

    @Test
    void should_allow_the_ninth_call_and_refuse_the_tenth_by_default() {
        assertThat(budget.check(hourly(8), NOW).allowed()).isTrue();
        Decision d = budget.check(hourly(9), NOW);
        assertThat(d.allowed()).isFalse();
        assertThat(d.usedInWindow()).isEqualTo(9);
        assertThat(d.remaining()).isZero();
        // the oldest of the nine (9 h ago) leaves the window 72 h after it was made
        assertThat(d.nextAllowedAt()).isEqualTo(NOW.minus(Duration.ofHours(9)).plus(H72));
        assertThat(d.waitFrom(NOW)).isEqualTo(Duration.ofHours(63));
    }

    @Test
    void should_never_turn_10_failures_into_an_11th_call() {
        List<Instant> ten = hourly(10);
        assertThat(budget.check(ten, NOW).allowed()).isFalse();
        assertThat(budget.check(ten, NOW, true).allowed()).as("not even with an operator override").isFalse();
        RegisterBudget noMargin = new RegisterBudget(H72, 10, 0);
        assertThat(noMargin.check(ten, NOW).allowed()).isFalse();
        // it becomes possible once the oldest attempt has left the window
        Decision d = noMargin.check(ten, NOW);
        assertThat(d.nextAllowedAt()).isEqualTo(NOW.minus(Duration.ofHours(10)).plus(H72));
        assertThat(noMargin.check(ten, d.nextAllowedAt()).allowed()).isTrue();
        assertThat(noMargin.check(ten, d.nextAllowedAt().minusMillis(1)).allowed()).isFalse();
    }

    @Test
    void should_let_an_operator_use_the_safety_margin() {
        assertThat(budget.check(hourly(9), NOW, true).allowed()).isTrue();
    }

    @Test
    void should_ignore_attempts_older_than_the_window() {
        List<Instant> attempts = new ArrayList<>(hourly(5));
        for (int i = 0; i < 20; i++) {
            attempts.add(NOW.minus(H72).minusSeconds(i)); // exactly 72 h old or older: out
        }
        Decision d = budget.check(attempts, NOW);
        assertThat(d.allowed()).isTrue();
        assertThat(d.usedInWindow()).isEqualTo(5);
    }

    @Test
    void should_count_unordered_attempts_nulls_and_clock_skewed_future_attempts() {
        List<Instant> attempts = new ArrayList<>(Arrays.asList(NOW.plusSeconds(30), null, NOW.minusSeconds(5)));
        attempts.addAll(hourly(7));
        Decision d = budget.check(attempts, NOW);
        assertThat(d.usedInWindow()).isEqualTo(9);
        assertThat(d.allowed()).isFalse();
        assertThat(d.nextAllowedAt()).isEqualTo(NOW.minus(Duration.ofHours(7)).plus(H72));
    }

    @Test
    void should_compute_the_next_slot_when_several_attempts_must_expire() {
        RegisterBudget strict = new RegisterBudget(H72, 10, 3); // at most 7
        Decision d = strict.check(hourly(10), NOW);
        assertThat(d.allowed()).isFalse();
        // 10 used, cap 7: the 4 oldest (10 h, 9 h, 8 h, 7 h ago) must leave → the 4th oldest decides
        assertThat(d.nextAllowedAt()).isEqualTo(NOW.minus(Duration.ofHours(7)).plus(H72));
    }

    @Test
    void should_reject_nonsense_configuration() {
        assertThatThrownBy(() -> new RegisterBudget(Duration.ZERO, 10, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RegisterBudget(H72, 10, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RegisterBudget(H72, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
