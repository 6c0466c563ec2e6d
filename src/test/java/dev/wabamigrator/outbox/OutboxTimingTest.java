package dev.wabamigrator.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The service refuses to start with an outbox lease that a bounded send could outlast (ADR 0005). */
class OutboxTimingTest {

    @Test
    void should_refuse_a_lease_no_longer_than_the_longest_send_plus_the_clock_margin() {
        assertThatThrownBy(() -> new OutboxPublisher.Timing(Duration.ofMillis(3500), Duration.ofMillis(3000),
                Duration.ofMillis(500)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("app.outbox.lease-ms (3500)")
                .hasMessageContaining("(3000)")
                .hasMessageContaining("(500)");
    }

    @Test
    void should_need_the_send_bound_and_the_margin_left_on_the_lease() {
        OutboxPublisher.Timing timing = new OutboxPublisher.Timing(Duration.ofMillis(5000), Duration.ofMillis(3000),
                Duration.ofMillis(500));

        assertThat(timing.neededToSend()).isEqualTo(Duration.ofMillis(3500));
    }
}
