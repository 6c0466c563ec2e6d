package dev.wabamigrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A claimed migration whose steps go on keeps the due time it was claimed at, so a step's write leaves the due index
 * alone (Flyway V14); once it used up its steps for the claim it becomes due now, behind the others waiting.
 */
class MigrationDueTimeTest {
    private static final Instant CLAIMED_DUE = Instant.parse("2026-03-01T09:59:00Z");
    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void a_step_that_goes_on_keeps_the_due_time_until_the_claim_used_up_its_steps() {
        Migration m = claimed();
        succeedAndGoOn(m, "check-verification");
        assertThat(m.row().nextAttemptAt()).isEqualTo(CLAIMED_DUE);
        assertThat(m.isRunnable()).isTrue();

        for (int i = 1; i < Migration.MAX_STEPS_PER_CLAIM; i++) {
            succeedAndGoOn(m, "step-" + i);
        }
        assertThat(m.row().nextAttemptAt()).isEqualTo(NOW);
        assertThat(m.isRunnable()).as("its turn is over").isFalse();
    }

    private static void succeedAndGoOn(Migration m, String next) {
        m.stepEnded();
        m.stepSucceeded(Map.of(), Map.of());
        m.moveTo(next, NOW);
    }

    private Migration claimed() {
        return Migration.of(new Migration.Row("m-1", "ALIBABA_CHATAPP", "86", "13800000001", "8613800000001", null,
                MigrationState.RUNNING, "initiate", 0, json.createObjectNode(), Map.of(), json.createObjectNode(),
                json.createObjectNode(), null, null, null, null, null, CLAIMED_DUE, "me", "t-1",
                NOW.plusSeconds(30), 3), CLOCK);
    }
}
