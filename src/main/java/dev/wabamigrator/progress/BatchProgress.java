package dev.wabamigrator.progress;

import dev.wabamigrator.engine.Awaiting;
import dev.wabamigrator.engine.MigrationState;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * Where one batch stands: its migrations by state and by what they wait for, the rate at which they recently ended,
 * and how long what still runs needs at the provider's limit. A value computed from the batch's rows; no Camel, no SQL.
 *
 * @param migrationsPerSecond the batch's migrations that ended (COMPLETED, FAILED, CANCELLED) within the rate window,
 *                            per second of that window (of the time since the batch began, when that is shorter)
 * @param etaSeconds          time to finish what is RUNNING (see {@link Pace}); null when nothing runs, or when it
 *                            cannot be estimated (a flow without a fixed limit runs and nothing ended recently)
 */
public record BatchProgress(String batchId, int total, Map<MigrationState, Integer> states,
                            Map<Awaiting, Integer> awaiting, double migrationsPerSecond, Long etaSeconds) {

    /**
     * How fast RUNNING migrations can finish. ALIBABA flows: cams allows {@code alibabaCallsPerSecond} calls per
     * operation, and every running migration needs at most one more call of each operation, so pipelined they
     * finish at that rate. Other flows (Meta) have no fixed limit (Graph paces by its usage headers): they are
     * taken to go on at the batch's own recent rate.
     */
    public record Pace(double alibabaCallsPerSecond, Duration rateWindow) {
    }

    /** True when no migration of the batch is RUNNING: each ended or waits for input. */
    public boolean settled() {
        return states.get(MigrationState.RUNNING) == 0;
    }

    /** True when every migration of the batch is COMPLETED, FAILED or CANCELLED. */
    public boolean finished() {
        int ended = states.get(MigrationState.COMPLETED) + states.get(MigrationState.FAILED)
                + states.get(MigrationState.CANCELLED);
        return total > 0 && ended == total;
    }

    /** Adds up the rows of {@code count-batch-migrations} (one per flow, state and awaiting kind). */
    public static final class Counter {
        private final String batchId;
        private final Map<MigrationState, Integer> states = new EnumMap<>(MigrationState.class);
        private final Map<Awaiting, Integer> awaiting = new EnumMap<>(Awaiting.class);
        private int total;
        private int endedInWindow;
        private int alibabaRunning;
        private int otherRunning;
        private Instant firstCreatedAt;

        public Counter(String batchId) {
            this.batchId = batchId;
            for (MigrationState state : MigrationState.values()) {
                states.put(state, 0);
            }
            for (Awaiting kind : Awaiting.values()) {
                awaiting.put(kind, 0);
            }
        }

        /**
         * @param changedInWindow how many of these migrations were last changed within the rate window; for ended
         *                        ones, that is when they ended
         */
        public Counter add(String flow, MigrationState state, Awaiting awaitingKind, int migrations, int changedInWindow,
                           Instant createdAt) {
            total += migrations;
            states.merge(state, migrations, Integer::sum);
            if (state == MigrationState.AWAITING_INPUT && awaitingKind != null) {
                awaiting.merge(awaitingKind, migrations, Integer::sum);
            }
            if (state.isTerminal()) {
                endedInWindow += changedInWindow;
            }
            if (state == MigrationState.RUNNING) {
                if (flow.startsWith("ALIBABA_")) {
                    alibabaRunning += migrations;
                } else {
                    otherRunning += migrations;
                }
            }
            if (createdAt != null && (firstCreatedAt == null || createdAt.isBefore(firstCreatedAt))) {
                firstCreatedAt = createdAt;
            }
            return this;
        }

        public BatchProgress progress(Instant now, Pace pace) {
            Instant windowStart = now.minus(pace.rateWindow());
            Instant from = firstCreatedAt != null && firstCreatedAt.isAfter(windowStart) ? firstCreatedAt : windowStart;
            // at least a second, so that the first few migrations of a batch do not show an absurd rate
            double seconds = Math.max(1.0, Duration.between(from, now).toMillis() / 1000.0);
            double rate = Math.round(endedInWindow / seconds * 100) / 100.0;
            return new BatchProgress(batchId, total, Collections.unmodifiableMap(states),
                    Collections.unmodifiableMap(awaiting), rate, eta(rate, pace));
        }

        private Long eta(double rate, Pace pace) {
            if (alibabaRunning == 0 && otherRunning == 0) {
                return null;
            }
            double seconds = 0;
            if (alibabaRunning > 0) {
                seconds = alibabaRunning / pace.alibabaCallsPerSecond();
            }
            if (otherRunning > 0) {
                if (rate <= 0) {
                    return null;
                }
                seconds = Math.max(seconds, otherRunning / rate);
            }
            return (long) Math.ceil(seconds);
        }
    }
}
