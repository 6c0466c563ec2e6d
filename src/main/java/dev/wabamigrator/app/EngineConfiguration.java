package dev.wabamigrator.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.command.CommandIntake;
import dev.wabamigrator.engine.CodeWait;
import dev.wabamigrator.engine.EngineMetrics;
import dev.wabamigrator.engine.FlowPass;
import dev.wabamigrator.engine.FlowRegistry;
import dev.wabamigrator.engine.MigrationCommands;
import dev.wabamigrator.engine.MigrationScheduler;
import dev.wabamigrator.engine.ProviderPauses;
import dev.wabamigrator.engine.RetryPolicy;
import dev.wabamigrator.engine.SecretBox;
import dev.wabamigrator.engine.StepOutcomes;
import dev.wabamigrator.engine.StepRecorder;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.event.MigrationEvents;
import dev.wabamigrator.outbox.OutboxPublisher;
import dev.wabamigrator.progress.BatchProgress;
import dev.wabamigrator.progress.BatchProgressPublisher;
import dev.wabamigrator.store.BatchProgressStore;
import dev.wabamigrator.store.MigrationStore;
import dev.wabamigrator.store.ProviderPauseStore;
import dev.wabamigrator.store.Sql;
import dev.wabamigrator.trace.StepTraces;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Supplier;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.CamelContextHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The migration engine the routes call: flows, store, events, retry policy, scheduler, provider pauses, commands,
 * step recorder and dispatcher, the code wait, command intake and the outbox publisher. Needs the database.
 */
public final class EngineConfiguration implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(EngineConfiguration.class);

    @BindToRegistry("json")
    private final ObjectMapper json = new ObjectMapper();
    @BindToRegistry("clock")
    private final Clock clock = Clock.systemUTC();
    @BindToRegistry("stepOutcomes")
    private final StepOutcomes stepOutcomes = new StepOutcomes();

    @PropertyInject("app.events.source")
    private String eventSource;
    @PropertyInject("app.retry.park.initial-delay-ms")
    private long parkInitialDelayMs;
    @PropertyInject("app.retry.park.backoff-multiplier")
    private double parkBackoffMultiplier;
    @PropertyInject("app.retry.park.max-delay-ms")
    private long parkMaxDelayMs;
    @PropertyInject("app.retry.park.max-transient-attempts")
    private int parkMaxTransientAttempts;
    @PropertyInject("app.retry.park.max-rate-limited-attempts")
    private int parkMaxRateLimitedAttempts;
    @PropertyInject("app.retry.read-back.max-attempts")
    private int readBackMaxAttempts;
    @PropertyInject("app.scheduler.max-in-flight")
    private int schedulerMaxInFlight;
    @PropertyInject("app.scheduler.max-waiting-for-rate")
    private int schedulerMaxWaitingForRate;
    @PropertyInject("app.scheduler.batch-size")
    private int schedulerBatchSize;
    @PropertyInject("app.scheduler.lease-ms")
    private long schedulerLeaseMs;
    @PropertyInject("app.provider.pause.refresh-ms")
    private long pauseRefreshMs;
    @PropertyInject("app.provider.pause.recheck-ms")
    private long pauseRecheckMs;
    @PropertyInject("app.code-wait.validity-ms")
    private long codeValidityMs;
    @PropertyInject("app.code-wait.max-wrong-codes")
    private int maxWrongCodes;
    @PropertyInject("app.code-wait.quiet-period-ms")
    private long codeQuietPeriodMs;
    @PropertyInject("app.intake.max-command-bytes")
    private int maxCommandBytes;
    @PropertyInject("app.outbox.batch-size")
    private int outboxBatchSize;
    @PropertyInject("app.outbox.lease-ms")
    private long outboxLeaseMs;
    @PropertyInject("app.outbox.send.max-block-ms")
    private long outboxMaxBlockMs;
    @PropertyInject("app.outbox.send.delivery-timeout-ms")
    private long outboxDeliveryTimeoutMs;
    @PropertyInject("app.outbox.clock-margin-ms")
    private long outboxClockMarginMs;
    @PropertyInject("app.progress.lease-ms")
    private long progressLeaseMs;
    @PropertyInject("app.progress.min-interval-ms")
    private long progressMinIntervalMs;
    @PropertyInject("app.progress.look-back-ms")
    private long progressLookBackMs;
    @PropertyInject("app.progress.rate-window-ms")
    private long progressRateWindowMs;
    @PropertyInject("app.provider.alibaba.max-calls-per-second")
    private double alibabaMaxCallsPerSecond;

    @Override
    public void configure(CamelContext context) throws Exception {
        Registry registry = context.getRegistry();
        Sql sql = CamelContextHelper.mandatoryLookup(context, "sql", Sql.class);
        SecretBox secretBox = CamelContextHelper.mandatoryLookup(context, "secretBox", SecretBox.class);

        // the flows are read from the flow routes when the context starts, before any route runs
        FlowRegistry flows = new FlowRegistry(context);
        context.addService(flows);
        EngineMetrics metrics = new EngineMetrics(meterRegistry(context));
        MigrationStore store = new MigrationStore(sql, secretBox, json, clock);
        // with tracing on, each event carries the trace context it was made in (TracingConfiguration)
        StepTraces traces = CamelContextHelper.mandatoryLookup(context, "stepTraces", StepTraces.class);
        MigrationEvents events = new MigrationEvents(json, eventSource.strip(), traces::traceparent);
        RetryPolicy retryPolicy = new RetryPolicy(clock, Duration.ofMillis(parkInitialDelayMs), parkBackoffMultiplier,
                Duration.ofMillis(parkMaxDelayMs), parkMaxTransientAttempts, parkMaxRateLimitedAttempts,
                readBackMaxAttempts);
        MigrationScheduler scheduler = new MigrationScheduler(store, events, flows, clock, schedulerMaxInFlight,
                schedulerMaxWaitingForRate, schedulerBatchSize, Duration.ofMillis(schedulerLeaseMs));
        // a credential or signer failure holds every call to that provider; a start may bring fixed credentials
        ProviderPauses pauses = new ProviderPauses(new ProviderPauseStore(sql), clock, Duration.ofMillis(pauseRefreshMs),
                Duration.ofMillis(pauseRecheckMs), metrics);
        pauses.endAll();
        // a resume keeps a call in doubt pending when its step can read the provider's state back
        MigrationCommands commands = new MigrationCommands(store, events, flows, json, clock,
                stepRoute -> context.getRoute(stepRoute + "-reconcile") != null, pauses);
        CodeWait codeWait = new CodeWait(Duration.ofMillis(codeValidityMs), maxWrongCodes,
                Duration.ofMillis(codeQuietPeriodMs));

        registry.bind("flowRegistry", flows);
        registry.bind("engineMetrics", metrics);
        registry.bind("migrationStore", store);
        registry.bind("migrationEvents", events);
        registry.bind("retryPolicy", retryPolicy);
        registry.bind("migrationScheduler", scheduler);
        registry.bind("providerPauses", pauses);
        registry.bind("migrationCommands", commands);
        registry.bind("stepRecorder", new StepRecorder(store, events, flows, retryPolicy, json, clock, metrics));
        FlowPass flowPass = new FlowPass(flows);
        registry.bind("flowPass", flowPass);
        registry.bind("flowPassTakesOver", flowPass.takesOverPredicate());
        registry.bind("flowPassPicksStep", flowPass.picksStep());
        registry.bind("flowPassNotesOutcome", flowPass.notesOutcome());
        registry.bind("codeWait", codeWait);
        CommandIntake intake = new CommandIntake(json, new MessageSchemas(), flows, commands, events, store, clock,
                maxCommandBytes);
        registry.bind("commandIntake", intake);
        registry.bind("commandPoll", new dev.wabamigrator.command.CommandPoll(intake));
        registry.bind("outboxPublisher", new OutboxPublisher(store.outbox(), clock, scheduler.instanceId(), outboxBatchSize,
                new OutboxPublisher.Timing(Duration.ofMillis(outboxLeaseMs),
                        Duration.ofMillis(outboxMaxBlockMs).plus(Duration.ofMillis(outboxDeliveryTimeoutMs)),
                        Duration.ofMillis(outboxClockMarginMs))));
        registry.bind("batchProgressPublisher", new BatchProgressPublisher(new BatchProgressStore(sql), store.outbox(),
                events, json, clock, scheduler.instanceId(), new BatchProgressPublisher.Timing(
                        Duration.ofMillis(progressLeaseMs), Duration.ofMillis(progressMinIntervalMs),
                        Duration.ofMillis(progressLookBackMs)),
                new BatchProgress.Pace(alibabaMaxCallsPerSecond, Duration.ofMillis(progressRateWindowMs))));
        LOG.info("engine wired: database {}", sql.dialect());
    }

    /** The registry's MeterRegistry once Camel's metrics bound one; until then, and when metrics are off, a spare. */
    private static Supplier<MeterRegistry> meterRegistry(CamelContext context) {
        MeterRegistry fallback = new SimpleMeterRegistry();
        return new Supplier<>() {
            private volatile MeterRegistry found;

            @Override
            public MeterRegistry get() {
                if (found == null) {
                    MeterRegistry bound = context.getRegistry().findSingleByType(MeterRegistry.class);
                    if (bound == null && context.getStatus().isStarted()) {
                        found = fallback; // metrics are off: count into a registry nobody reads
                    }
                    return bound != null ? (found = bound) : fallback;
                }
                return found;
            }
        };
    }
}
