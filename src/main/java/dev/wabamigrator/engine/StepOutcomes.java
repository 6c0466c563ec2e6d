package dev.wabamigrator.engine;

import java.util.Map;

/** Outcomes for YAML step routes to return (bean {@code stepOutcomes}). */
public final class StepOutcomes {

    public StepOutcome succeeded() {
        return StepOutcome.succeeded();
    }

    public StepOutcome succeeded(Map<String, String> result) {
        return StepOutcome.succeeded(result);
    }

    public StepOutcome goTo(String step) {
        return new StepOutcome.GoTo(step, null, Map.of());
    }
}
