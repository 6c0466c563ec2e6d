package dev.wabamigrator.store;

import dev.wabamigrator.engine.Awaiting;
import dev.wabamigrator.engine.MigrationState;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * An operator's state filter: a migration state ({@code FAILED}, {@code AWAITING_INPUT}, ...) or what a waiting
 * migration waits for ({@code HUMAN_ACTION}, {@code VERIFICATION_CODE}, {@code CUSTOMER_ACCEPTANCE}), which is the
 * question operators ask most ("who waits for us?"). Null parts match everything.
 */
public record StateFilter(String state, String awaiting) {
    public static final StateFilter ANY = new StateFilter(null, null);

    /** Blank means any state; anything else must name a state or an awaiting kind. */
    public static StateFilter of(String value) {
        if (value == null || value.isBlank()) {
            return ANY;
        }
        String name = value.strip().toUpperCase(Locale.ROOT);
        if (Arrays.stream(MigrationState.values()).anyMatch(s -> s.name().equals(name))) {
            return new StateFilter(name, null);
        }
        if (Arrays.stream(Awaiting.values()).anyMatch(a -> a.name().equals(name))) {
            return new StateFilter(MigrationState.AWAITING_INPUT.name(), name);
        }
        throw new IllegalArgumentException("unknown state " + value.strip() + "; give a state or what a migration awaits: "
                + Stream.concat(Arrays.stream(MigrationState.values()).map(Enum::name),
                        Arrays.stream(Awaiting.values()).map(Enum::name)).collect(Collectors.joining(", ")));
    }
}
