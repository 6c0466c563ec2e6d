package dev.wabamigrator.progress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wabamigrator.engine.Awaiting;
import dev.wabamigrator.engine.MigrationState;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The numbers of a batch's progress: counts, settled and finished, the recent rate and the time left. */
class BatchProgressTest {
    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
    private static final BatchProgress.Pace PACE = new BatchProgress.Pace(9.5, Duration.ofSeconds(60));

    @Test
    void should_estimate_running_alibaba_migrations_at_the_cams_limit() {
        BatchProgress progress = new BatchProgress.Counter("b")
                .add("ALIBABA_CHATAPP", MigrationState.RUNNING, null, 57, 57, NOW.minusSeconds(600))
                .add("ALIBABA_CHATAPP", MigrationState.AWAITING_INPUT, Awaiting.VERIFICATION_CODE, 11, 3, NOW.minusSeconds(600))
                .add("ALIBABA_CHATAPP", MigrationState.AWAITING_INPUT, Awaiting.HUMAN_ACTION, 1, 0, NOW.minusSeconds(600))
                .add("ALIBABA_CHATAPP", MigrationState.COMPLETED, null, 128, 120, NOW.minusSeconds(600))
                .add("ALIBABA_CHATAPP", MigrationState.FAILED, null, 3, 0, NOW.minusSeconds(600))
                .progress(NOW, PACE);

        assertThat(progress.total()).isEqualTo(200);
        assertThat(progress.states()).containsEntry(MigrationState.RUNNING, 57).containsEntry(MigrationState.CANCELLED, 0)
                .containsEntry(MigrationState.AWAITING_INPUT, 12).hasSize(5);
        assertThat(progress.awaiting()).containsEntry(Awaiting.VERIFICATION_CODE, 11)
                .containsEntry(Awaiting.CUSTOMER_ACCEPTANCE, 0).containsEntry(Awaiting.HUMAN_ACTION, 1);
        assertThat(progress.etaSeconds()).as("57 / 9.5 calls per second").isEqualTo(6);
        assertThat(progress.migrationsPerSecond()).as("120 ended in the last 60 s").isEqualTo(2.0);
        assertThat(progress.settled()).isFalse();
        assertThat(progress.finished()).isFalse();
    }

    @Test
    void should_measure_the_rate_of_a_young_batch_over_its_own_age() {
        BatchProgress progress = new BatchProgress.Counter("b")
                .add("ALIBABA_CHATAPP", MigrationState.COMPLETED, null, 10, 10, NOW.minusSeconds(4))
                .add("ALIBABA_CHATAPP", MigrationState.RUNNING, null, 10, 10, NOW.minusSeconds(5))
                .progress(NOW, PACE);

        assertThat(progress.migrationsPerSecond()).as("10 ended since the batch began 5 s ago").isEqualTo(2.0);
    }

    @Test
    void should_estimate_meta_migrations_at_the_batch_rate_and_not_at_all_without_one() {
        BatchProgress withRate = new BatchProgress.Counter("b")
                .add("META_MPS", MigrationState.RUNNING, null, 30, 30, NOW.minusSeconds(600))
                .add("META_MPS", MigrationState.COMPLETED, null, 60, 60, NOW.minusSeconds(600))
                .add("ALIBABA_CHATAPP", MigrationState.RUNNING, null, 19, 19, NOW.minusSeconds(600))
                .progress(NOW, PACE);
        assertThat(withRate.etaSeconds()).as("the longer of 30 / 1 per second and 19 / 9.5").isEqualTo(30);

        BatchProgress noRate = new BatchProgress.Counter("b")
                .add("META_CLASSIC", MigrationState.RUNNING, null, 3, 3, NOW.minusSeconds(600))
                .progress(NOW, PACE);
        assertThat(noRate.etaSeconds()).isNull();
    }

    @Test
    void should_call_a_batch_settled_when_nothing_runs_and_finished_when_everything_ended() {
        BatchProgress waiting = new BatchProgress.Counter("b")
                .add("ALIBABA_CHATAPP", MigrationState.AWAITING_INPUT, Awaiting.VERIFICATION_CODE, 1, 1, NOW)
                .add("ALIBABA_CHATAPP", MigrationState.COMPLETED, null, 2, 2, NOW)
                .progress(NOW, PACE);
        assertThat(waiting.settled()).isTrue();
        assertThat(waiting.finished()).isFalse();
        assertThat(waiting.etaSeconds()).as("nothing runs").isNull();

        BatchProgress ended = new BatchProgress.Counter("b")
                .add("ALIBABA_CHATAPP", MigrationState.COMPLETED, null, 2, 2, NOW)
                .add("ALIBABA_CHATAPP", MigrationState.FAILED, null, 1, 1, NOW)
                .add("META_MPS", MigrationState.CANCELLED, null, 1, 1, NOW)
                .progress(NOW, PACE);
        assertThat(ended.settled()).isTrue();
        assertThat(ended.finished()).isTrue();
    }
}
