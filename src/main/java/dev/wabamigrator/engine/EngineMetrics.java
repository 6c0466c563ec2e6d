package dev.wabamigrator.engine;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The engine's own Prometheus meters, next to Camel's route statistics:
 * {@code waba_migrations} (gauge by flow and state), {@code waba_migration_steps_total} (by outcome),
 * {@code waba_migration_step_duration_seconds}, {@code waba_migration_step_retries_total} and
 * {@code waba_provider_errors_total} (by provider, code and category) and {@code waba_provider_paused_total}.
 */
public final class EngineMetrics {
    private final Supplier<MeterRegistry> registry;
    private volatile MultiGauge byState;
    /** The per-step meters, found once: a builder's register() maps the id through every meter filter each time. */
    private final Map<List<String>, Counter> stepCounters = new ConcurrentHashMap<>();
    private final Map<List<String>, Timer> stepTimers = new ConcurrentHashMap<>();
    /** The registry the cached meters live in (the fallback one until Camel's is bound). */
    private volatile MeterRegistry cachedIn;

    public EngineMetrics(Supplier<MeterRegistry> registry) {
        this.registry = registry;
    }

    void stepFinished(String flow, String step, StepOutcome outcome) {
        String outcomeName = outcome.getClass().getSimpleName();
        MeterRegistry current = current();
        stepCounters.computeIfAbsent(List.of(flow, step, outcomeName), key -> Counter.builder("waba.migration.steps")
                .description("Step outcomes recorded").tags("flow", flow, "step", step, "outcome", outcomeName)
                .register(current)).increment();
    }

    public void stepDuration(String flow, String step, Duration duration) {
        MeterRegistry current = current();
        stepTimers.computeIfAbsent(List.of(flow, step), key -> Timer.builder("waba.migration.step.duration")
                .description("Time from step start to its recorded outcome").tags("flow", flow, "step", step)
                .register(current)).record(duration);
    }

    /** The registry to count into; the cached meters are dropped when it is another one than theirs. */
    private MeterRegistry current() {
        MeterRegistry current = registry.get();
        if (current != cachedIn) {
            synchronized (this) {
                if (current != cachedIn) {
                    stepCounters.clear();
                    stepTimers.clear();
                    cachedIn = current;
                }
            }
        }
        return current;
    }

    void retryScheduled(String flow, String step, ProviderError error) {
        Counter.builder("waba.migration.step.retries").description("Steps parked to be retried later")
                .tags("flow", flow, "step", step).register(registry.get()).increment();
        providerError(flow, step, error);
    }

    void providerError(String flow, String step, ProviderError error) {
        Counter.builder("waba.provider.errors").description("Classified provider errors")
                .tags("provider", error.provider(), "code", error.code(), "category", error.errorClass().name())
                .register(registry.get()).increment();
    }

    /** One per pause raised, not one per migration it holds: the alert an operator pages on. */
    void providerPaused(String provider, String code) {
        Counter.builder("waba.provider.paused").description("Times every call to a provider was paused "
                        + "(credentials or signer failed)")
                .tags("provider", provider, "code", code).register(registry.get()).increment();
    }

    void terminal(String flow, MigrationState state) {
        Counter.builder("waba.migrations.finished").description("Migrations that reached a terminal state")
                .tags("flow", flow, "state", state.name()).register(registry.get()).increment();
    }

    /** A webhook refused at the door (bad or missing signature): someone other than the provider, or a wrong secret. */
    public void webhookRejected(String provider, String reason) {
        Counter.builder("waba.webhook.rejected").description("Webhook notifications refused for their signature")
                .tags("provider", provider, "reason", reason).register(registry.get()).increment();
    }

    /** Replaces the by-state gauge values with a fresh count from the database. */
    public void migrationsByState(List<Map<String, Object>> rows) {
        if (byState == null) {
            byState = MultiGauge.builder("waba.migrations").description("Migrations by flow and state")
                    .register(registry.get());
        }
        byState.register(rows.stream().map(row -> MultiGauge.Row.of(
                Tags.of("flow", String.valueOf(row.get("flow")), "state", String.valueOf(row.get("state"))),
                ((Number) row.get("migrations")).doubleValue())).toList(), true);
    }
}
