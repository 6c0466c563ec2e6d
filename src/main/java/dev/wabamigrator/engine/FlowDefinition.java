package dev.wabamigrator.engine;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A flow as its flow route defines it: its name (as in commands, {@code META_CLASSIC}), its route
 * ({@code meta-classic}) and its steps in order (the route's {@code to: direct:meta-classic-<step>}).
 *
 * @param stepParameters per step, the parameters its route was made from when it is a route template's instance
 *                       (e.g. the code wait's {@code requestStep})
 */
public record FlowDefinition(String name, List<String> steps, Map<String, Map<String, Object>> stepParameters) {

    public FlowDefinition {
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("flow " + name + " has no steps");
        }
        steps = List.copyOf(steps);
        stepParameters = Map.copyOf(stepParameters);
    }

    /** The flow route's id: {@code META_CLASSIC} → {@code meta-classic}; each step's route is {@code <route>-<step>}. */
    public String route() {
        return routeOf(name);
    }

    public static String routeOf(String flowName) {
        return flowName.toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The flow name of a flow route: {@code meta-classic} → {@code META_CLASSIC}. */
    public static String nameOf(String routeId) {
        return routeId.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    public String first() {
        return steps.get(0);
    }

    public Optional<String> next(String step) {
        int index = requireStep(step);
        return index + 1 < steps.size() ? Optional.of(steps.get(index + 1)) : Optional.empty();
    }

    /** A template parameter of a step's route, e.g. the step the code wait asks a new code from. */
    public Optional<String> stepParameter(String step, String parameter) {
        requireStep(step);
        Object value = stepParameters.getOrDefault(step, Map.of()).get(parameter);
        return value == null || value.toString().isBlank() ? Optional.empty() : Optional.of(value.toString());
    }

    /** The step's position; a step the flow does not have is a fault (a stored row, or a jump to a wrong name). */
    public int requireStep(String step) {
        int index = steps.indexOf(step);
        if (index < 0) {
            throw new IllegalArgumentException("flow " + name + " has no step " + step);
        }
        return index;
    }
}
