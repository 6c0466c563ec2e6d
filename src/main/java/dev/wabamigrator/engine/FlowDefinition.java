package dev.wabamigrator.engine;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** A flow: its name (as in commands) and its ordered steps (as in {@code app.flows.<NAME>}). */
public record FlowDefinition(String name, List<String> steps) {

    public FlowDefinition {
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("flow " + name + " has no steps");
        }
        steps = List.copyOf(steps);
    }

    /** Route-name prefix: {@code ALIBABA_CHATAPP} → {@code alibaba-chatapp}. */
    public String routePrefix() {
        return routePrefix(name);
    }

    public static String routePrefix(String flowName) {
        return flowName.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public String first() {
        return steps.get(0);
    }

    public Optional<String> next(String step) {
        int index = indexOf(step);
        return index + 1 < steps.size() ? Optional.of(steps.get(index + 1)) : Optional.empty();
    }

    public Optional<String> previous(String step) {
        int index = indexOf(step);
        return index > 0 ? Optional.of(steps.get(index - 1)) : Optional.empty();
    }

    public boolean hasStep(String step) {
        return steps.contains(step);
    }

    private int indexOf(String step) {
        int index = steps.indexOf(step);
        if (index < 0) {
            throw new IllegalArgumentException("flow " + name + " has no step " + step);
        }
        return index;
    }
}
