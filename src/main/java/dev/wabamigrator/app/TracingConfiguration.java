package dev.wabamigrator.app;

import dev.wabamigrator.trace.StepTraces;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.Map;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.opentelemetry2.OpenTelemetryTracer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracing, off unless {@code OTEL_EXPORTER_OTLP_ENDPOINT} is set (or an {@link OpenTelemetry} is bound, as the
 * tests do). On: the OpenTelemetry SDK set up from the standard {@code OTEL_*} variables (OTLP exporter, service
 * name {@code waba-migrator} unless {@code OTEL_SERVICE_NAME} says otherwise), Camel's tracer (camel-opentelemetry2)
 * for the Kafka intake and publishing, and a trace per migration step ({@link StepTraces}). Off: no SDK, no tracer,
 * and {@code stepTraces} returns at once.
 */
public final class TracingConfiguration implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(TracingConfiguration.class);

    @PropertyInject("app.tracing.otlp-endpoint")
    private String otlpEndpoint;
    @PropertyInject("app.tracing.exclude-patterns")
    private String excludePatterns;

    @Override
    public void configure(CamelContext context) throws Exception {
        OpenTelemetry openTelemetry = context.getRegistry().findSingleByType(OpenTelemetry.class);
        if (openTelemetry == null && !otlpEndpoint.isBlank()) {
            OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                    .addPropertiesSupplier(() -> Map.of(
                            "otel.service.name", "waba-migrator",
                            "otel.exporter.otlp.endpoint", otlpEndpoint.strip(),
                            // traces only: metrics are Prometheus's, logs stay in the log
                            "otel.metrics.exporter", "none",
                            "otel.logs.exporter", "none"))
                    .build().getOpenTelemetrySdk();
            // closed when Camel stops, after the routes: the last spans are flushed
            Resources.wire(context, resources -> resources.add(sdk));
            openTelemetry = sdk;
            LOG.info("tracing on: spans exported over OTLP to {}", otlpEndpoint.strip());
        }
        if (openTelemetry == null) {
            context.getRegistry().bind("stepTraces", StepTraces.off());
            return;
        }
        // Camel's tracer takes these from the registry rather than the global OpenTelemetry
        context.getRegistry().bind("openTelemetryTracer", openTelemetry.getTracer("camel"));
        context.getRegistry().bind("openTelemetryPropagators", openTelemetry.getPropagators());
        OpenTelemetryTracer camelTracer = new OpenTelemetryTracer();
        camelTracer.setExcludePatterns(excludePatterns);
        camelTracer.init(context);
        context.getRegistry().bind("stepTraces", new StepTraces(openTelemetry.getTracer("waba-migrator")));
    }
}
