package dev.wabamigrator.provider.meta;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wabamigrator.engine.Preflight.Check;
import dev.wabamigrator.engine.Preflight.Status;
import dev.wabamigrator.engine.StepOutcome;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The reason a failed preflight gives a person: every failed check named, within the reason's limit. */
class MetaPreflightTest {

    private static Check failed(String name, int detailLength) {
        return new Check(name, Status.FAILED, "d".repeat(detailLength), "a".repeat(detailLength));
    }

    @Test
    void should_give_each_failure_with_what_to_do_when_it_fits() {
        String reason = MetaPreflight.reason(List.of(failed(MetaPreflight.TEST_NUMBER, 20)),
                List.of(new Check(MetaPreflight.TWO_STEP, Status.UNKNOWN, "no API reads it", "disable it")));

        assertThat(reason).isEqualTo("preflight: 1 check(s) failed. not-a-test-number: " + "d".repeat(20) + " -> "
                + "a".repeat(20) + ". Confirm: two-step-verification-off. Then send ResumeMigration.");
    }

    @Test
    void should_name_every_failure_even_when_their_details_do_not_fit() {
        List<Check> many = IntStream.range(0, 12).mapToObj(i -> failed("check-number-" + i, 200)).toList();

        String reason = MetaPreflight.reason(many, List.of(new Check(MetaPreflight.TWO_STEP, Status.UNKNOWN, "x", "y")));

        assertThat(reason).hasSizeLessThanOrEqualTo(StepOutcome.NeedsHuman.MAX_REASON)
                .startsWith("preflight: 12 check(s) failed.").endsWith("Then send ResumeMigration.");
        many.forEach(c -> assertThat(reason).contains(c.name()));
    }
}
