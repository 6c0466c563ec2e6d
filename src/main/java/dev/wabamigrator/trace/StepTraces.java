package dev.wabamigrator.trace;

import dev.wabamigrator.engine.Migration;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One trace per migration step (bean {@code stepTraces}): {@code flow-steps} begins a root span, named after the step
 * route, when a step is about to run and ends it once the step's outcome is recorded; {@code run-migration} ends one
 * a step left open by failing. The span is kept by migration id, not in the thread, because a step may go on on
 * another thread (non-blocking redelivery, delays); a migration runs one step at a time in an instance (its claim).
 *
 * <p>Every event built meanwhile carries the span's W3C trace context in the CloudEvents {@code traceparent}
 * extension ({@link #traceparent}); outside a step (command intake) the current span's, which is Camel's span of the
 * consumed command. Off (no tracer) every method returns at once: no span, no map, no attribute.
 */
public final class StepTraces {
    public static final AttributeKey<String> MIGRATION_ID = AttributeKey.stringKey("waba.migration.id");
    public static final AttributeKey<String> FLOW = AttributeKey.stringKey("waba.migration.flow");
    public static final AttributeKey<String> STEP = AttributeKey.stringKey("waba.migration.step");
    public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("waba.migration.step.outcome");

    private final Tracer tracer;
    private final Map<String, Span> open = new ConcurrentHashMap<>();

    /** Tracing on, with this tracer; null for off. */
    public StepTraces(Tracer tracer) {
        this.tracer = tracer;
    }

    public static StepTraces off() {
        return new StepTraces(null);
    }

    public boolean isOn() {
        return tracer != null;
    }

    /** A step of {@code m} is about to run: a new trace, whatever ran before it. */
    public void begin(Migration m) {
        if (tracer == null) {
            return;
        }
        Span span = tracer.spanBuilder(m.getStepRoute()).setNoParent().setSpanKind(SpanKind.INTERNAL)
                .setAttribute(MIGRATION_ID, m.getMigrationId())
                .setAttribute(FLOW, m.getFlow())
                .setAttribute(STEP, m.getStep())
                .startSpan();
        Span left = open.put(m.getMigrationId(), span);
        if (left != null) {
            left.end();
        }
    }

    /** The step's outcome is recorded (its events with it): the span ends, named by the outcome's kind. */
    public void end(Migration m, Object outcome) {
        if (tracer == null) {
            return;
        }
        Span span = open.remove(m.getMigrationId());
        if (span != null) {
            String kind = outcome == null ? "None" : outcome.getClass().getSimpleName();
            span.setAttribute(OUTCOME, kind);
            if ("Failed".equals(kind)) {
                span.setStatus(StatusCode.ERROR);
            }
            span.end();
        }
    }

    /** The worker lets the migration go: a step still open failed before an outcome was recorded. */
    public void close(Migration m) {
        if (tracer == null) {
            return;
        }
        Span span = open.remove(m.getMigrationId());
        if (span != null) {
            span.setStatus(StatusCode.ERROR, "the step ended without a recorded outcome");
            span.end();
        }
    }

    /**
     * The W3C {@code traceparent} for an event of this migration: its running step's span, else the current span
     * (the consumed command's), else null. Null whenever tracing is off.
     */
    public String traceparent(String migrationId) {
        if (tracer == null) {
            return null;
        }
        Span span = migrationId == null ? null : open.get(migrationId);
        SpanContext context = (span != null ? span : Span.current()).getSpanContext();
        return context.isValid() ? traceparent(context) : null;
    }

    static String traceparent(SpanContext context) {
        return "00-" + context.getTraceId() + "-" + context.getSpanId() + "-" + context.getTraceFlags().asHex();
    }
}
