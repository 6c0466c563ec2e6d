package dev.wabamigrator.engine;

/** Outcomes for YAML step routes to return (bean {@code stepOutcomes}). */
public final class StepOutcomes {

    public StepOutcome succeeded() {
        return StepOutcome.succeeded();
    }
}
