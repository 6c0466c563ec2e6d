package dev.wabamigrator.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.StepServer;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Tracing on (an OpenTelemetry whose spans stay in memory): a real migration through Kafka, the database and the
 * step routes makes one trace per step, with the migration id and the step as attributes, and every event of a
 * step carries that trace in its CloudEvents {@code traceparent}; tracing off, events carry none.
 */
class StepTracingIT {
    private static final String START = """
            {"commandId":"start-%1$s","type":"StartMigration","migrationId":"%1$s","flow":"TEST_STEPS",
             "phoneNumber":{"countryCode":"49","number":"%2$s"},
             "meta":{"pin":"987654","displayPhoneNumber":"+49 151","verifiedName":"Trace"}}""";

    @Test
    void should_make_one_trace_per_step_and_carry_it_in_the_step_events() throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        try (StepServer provider = new StepServer()) {
            Map<String, String> properties = TestApp.defaults(TestDatabase.h2(), TestApp.uniqueSuffix(), provider.url());
            try (TestApp app = TestApp.start(properties, Map.of("openTelemetry", otel));
                 Commands commands = new Commands(properties.get("app.kafka.brokers"),
                         properties.get("app.kafka.topic.commands"));
                 Events events = new Events(properties.get("app.kafka.brokers"),
                         properties.get("app.kafka.topic.events"))) {
                commands.send("4915100000001", START.formatted("m-trace", "15100000001"));
                events.awaitType("m-trace", "waba.migration.completed");
                await().atMost(Duration.ofSeconds(10)).until(() -> stepSpans(spans, "m-trace").size() == 3);

                List<SpanData> steps = stepSpans(spans, "m-trace");
                assertThat(steps).extracting(s -> s.getAttributes().get(StepTraces.STEP))
                        .containsExactly("one", "two", "three");
                assertThat(steps).extracting(SpanData::getName)
                        .containsExactly("test-steps-one", "test-steps-two", "test-steps-three");
                assertThat(steps).allSatisfy(step -> {
                    assertThat(step.getParentSpanContext().isValid()).as("a root: a trace of its own").isFalse();
                    assertThat(step.getKind()).isEqualTo(SpanKind.INTERNAL);
                    assertThat(step.getAttributes().get(StepTraces.FLOW)).isEqualTo("TEST_STEPS");
                    assertThat(step.getAttributes().get(StepTraces.OUTCOME)).isEqualTo("Succeeded");
                });
                assertThat(steps).extracting(SpanData::getTraceId).doesNotHaveDuplicates();

                List<JsonNode> succeeded = events.forMigration("m-trace").stream()
                        .filter(e -> "waba.migration.step.succeeded".equals(e.path("type").asText())).toList();
                assertThat(succeeded).hasSize(3);
                for (JsonNode event : succeeded) {
                    SpanData step = steps.stream().filter(s -> s.getAttributes().get(StepTraces.STEP)
                            .equals(event.at("/data/step").asText())).findFirst().orElseThrow();
                    assertThat(event.path("traceparent").asText()).as("traceparent of %s", event)
                            .isEqualTo("00-" + step.getTraceId() + "-" + step.getSpanId() + "-01");
                }
                JsonNode completed = events.awaitType("m-trace", "waba.migration.completed");
                assertThat(completed.path("traceparent").asText()).as("the completing step's trace")
                        .contains(steps.get(2).getTraceId());
                // the command's intake is traced by Camel: its event carries the intake trace, not a step's
                JsonNode accepted = events.awaitType("m-trace", "waba.migration.accepted");
                assertThat(accepted.path("traceparent").asText()).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
                assertThat(steps).extracting(SpanData::getTraceId)
                        .doesNotContain(accepted.path("traceparent").asText().substring(3, 35));
            }
        } finally {
            otel.close();
        }
    }

    @Test
    void should_leave_traceparent_out_of_events_when_tracing_is_off() throws Exception {
        try (StepServer provider = new StepServer()) {
            Map<String, String> properties = TestApp.defaults(TestDatabase.h2(), TestApp.uniqueSuffix(), provider.url());
            try (TestApp app = TestApp.start(properties);
                 Commands commands = new Commands(properties.get("app.kafka.brokers"),
                         properties.get("app.kafka.topic.commands"));
                 Events events = new Events(properties.get("app.kafka.brokers"),
                         properties.get("app.kafka.topic.events"))) {
                commands.send("4915100000002", START.formatted("m-untraced", "15100000002"));
                events.awaitType("m-untraced", "waba.migration.completed");

                assertThat(app.bean("stepTraces", StepTraces.class).isOn()).isFalse();
                assertThat(events.forMigration("m-untraced")).hasSizeGreaterThan(3)
                        .allSatisfy(event -> assertThat(event.has("traceparent")).as(event.toString()).isFalse());
            }
        }
    }

    private static List<SpanData> stepSpans(InMemorySpanExporter spans, String migrationId) {
        return spans.getFinishedSpanItems().stream()
                .filter(s -> migrationId.equals(s.getAttributes().get(StepTraces.MIGRATION_ID)))
                .sorted((a, b) -> Long.compare(a.getStartEpochNanos(), b.getStartEpochNanos())).toList();
    }
}
