package dev.wabamigrator.app;

import dev.wabamigrator.engine.CodeWait;
import dev.wabamigrator.engine.ProviderPauseHealthCheck;
import dev.wabamigrator.engine.ProviderPauses;
import dev.wabamigrator.engine.RetryPolicy;
import dev.wabamigrator.provider.RatePacer;
import dev.wabamigrator.provider.alibaba.AlibabaChatappSteps;
import dev.wabamigrator.provider.alibaba.AlibabaErrorClassifier;
import dev.wabamigrator.provider.alibaba.CamsOperation;
import dev.wabamigrator.provider.alibaba.CamsRequests;
import dev.wabamigrator.provider.alibaba.CamsTemplateReports;
import dev.wabamigrator.store.MigrationStore;
import dev.wabamigrator.store.TemplateReportStore;
import dev.wabamigrator.engine.MigrationScheduler;
import dev.wabamigrator.event.MigrationEvents;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wabamigrator.provider.meta.GraphRequests;
import dev.wabamigrator.provider.meta.MetaErrorClassifier;
import dev.wabamigrator.provider.meta.MetaPreflight;
import dev.wabamigrator.provider.meta.MetaTemplates;
import dev.wabamigrator.provider.meta.MetaSteps;
import dev.wabamigrator.provider.meta.RegisterAttempts;
import dev.wabamigrator.provider.meta.RegisterBudget;
import dev.wabamigrator.provider.meta.UsageHeaders;
import dev.wabamigrator.store.RegisterAttemptStore;
import dev.wabamigrator.store.Sql;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Expression;
import org.apache.camel.Predicate;
import org.apache.camel.PropertyInject;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.CamelContextHelper;
import org.apache.camel.support.ExpressionAdapter;
import org.apache.camel.support.service.ServiceSupport;

/**
 * The providers: the cams requests with their pacer and pause, the Graph API requests with their register budget and
 * usage pacing (the call routes send them), and each flow's step beans. Needs the engine's beans.
 */
public final class ProvidersConfiguration implements CamelConfiguration {
    @PropertyInject("app.provider.alibaba.max-calls-per-second")
    private double camsMaxCallsPerSecond;
    @PropertyInject("app.provider.alibaba.limit-per-second")
    private int camsLimitPerSecond;
    @PropertyInject("app.provider.alibaba.template-report.batch-size")
    private int templateReportBatchSize;
    @PropertyInject("app.provider.alibaba.template-report.lease-ms")
    private long templateReportLeaseMs;
    @PropertyInject("app.provider.meta.graph-version")
    private String graphVersion;
    @PropertyInject("app.provider.meta.register-budget.window-ms")
    private long registerBudgetWindowMs;
    @PropertyInject("app.provider.meta.register-budget.limit")
    private int registerBudgetLimit;
    @PropertyInject("app.provider.meta.register-budget.safety-margin")
    private int registerBudgetSafetyMargin;
    @PropertyInject("app.provider.meta.usage.slow-down-at-percent")
    private int usageSlowDownAtPercent;
    @PropertyInject("app.provider.meta.usage.pause-at-percent")
    private int usagePauseAtPercent;
    @PropertyInject("app.provider.meta.usage.default-pause-ms")
    private long usageDefaultPauseMs;
    @PropertyInject("app.provider.meta.usage.max-slow-down-delay-ms")
    private long usageMaxSlowDownDelayMs;
    @PropertyInject("app.provider.meta.usage.max-in-route-pause-ms")
    private long usageMaxInRoutePauseMs;
    @PropertyInject("app.provider.meta.usage.max-regain-wait-ms")
    private long usageMaxRegainWaitMs;
    @PropertyInject("app.provider.meta.acceptance.initial-interval-ms")
    private long acceptanceInitialIntervalMs;
    @PropertyInject("app.provider.meta.acceptance.backoff-multiplier")
    private double acceptanceBackoffMultiplier;
    @PropertyInject("app.provider.meta.acceptance.max-interval-ms")
    private long acceptanceMaxIntervalMs;
    @PropertyInject("app.provider.meta.acceptance.deadline-ms")
    private long acceptanceDeadlineMs;
    @PropertyInject("app.provider.meta.read-back.max-sends-in-doubt")
    private int readBackMaxSendsInDoubt;
    @PropertyInject("app.provider.meta.read-back.pending-read-backs")
    private int readBackPending;
    @PropertyInject("app.provider.meta.read-back.max-pages")
    private int readBackMaxPages;

    @Override
    public void configure(CamelContext context) {
        // read now, not injected: the sandbox's configuration has just pointed these at itself
        Settings settings = new Settings(context);
        Clock clock = CamelContextHelper.mandatoryLookup(context, "clock", Clock.class);
        RetryPolicy retryPolicy = CamelContextHelper.mandatoryLookup(context, "retryPolicy", RetryPolicy.class);
        CodeWait codeWait = CamelContextHelper.mandatoryLookup(context, "codeWait", CodeWait.class);
        ProviderPauses pauses = CamelContextHelper.mandatoryLookup(context, "providerPauses", ProviderPauses.class);
        Registry registry = context.getRegistry();

        AlibabaErrorClassifier camsClassifier = new AlibabaErrorClassifier();
        String camsAccessKeyId = settings.get("app.provider.alibaba.access-key-id", "");
        // cams limits each account (AccessKey): on PostgreSQL all instances share its buckets in the database
        Sql sql = CamelContextHelper.mandatoryLookup(context, "sql", Sql.class);
        String camsAccount = "alibaba:" + camsAccessKeyId;
        // the settings pace the operations cams allows 10 per second; one with a lower documented limit (the template
        // listing, 5) is paced at the same share of it, with its own buckets
        java.util.function.Function<String, RatePacer.Pace> camsPace = action -> {
            double share = CamsOperation.fromAction(action).map(CamsOperation::limitPerSecond)
                    .orElse(CamsOperation.MIGRATION_LIMIT_PER_SECOND) / (double) CamsOperation.MIGRATION_LIMIT_PER_SECOND;
            return new RatePacer.Pace(camsMaxCallsPerSecond * share,
                    (int) Math.max(1, Math.floor(camsLimitPerSecond * share)));
        };
        RatePacer camsPacer = "postgresql".equals(sql.dialect())
                ? RatePacer.shared(clock, camsPace, camsAccount, sql.dataSource())
                : RatePacer.local(clock, camsPace, camsAccount);
        registry.bind("camsPacer", camsPacer);
        // stopped with the context, so that the tokens still out go back to the shared buckets first
        try {
            context.addService(new ServiceSupport() {
                @Override
                protected void doStop() {
                    camsPacer.close();
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException("cannot register the cams pacer's shutdown", e);
        }
        CamsRequests camsRequests = new CamsRequests(URI.create(settings.require("app.provider.alibaba.endpoint")),
                camsAccessKeyId,
                settings.get("app.provider.alibaba.access-key-secret", ""), camsClassifier,
                camsPacer, codeWait, pauses, clock);
        registry.bind("camsRequests", camsRequests);
        // the call segment's delay and predicates: as bean-method expressions each would run on a copy of the exchange
        registry.bind("camsPace", expression(camsRequests::pace));
        registry.bind("camsNotSafeToRepeat", (Predicate) camsRequests::notSafeToRepeat);
        registry.bind("camsSlotRefused", (Predicate) camsRequests::slotRefused);
        MigrationStore migrationStore = CamelContextHelper.mandatoryLookup(context, "migrationStore", MigrationStore.class);
        registry.bind("camsTemplateReports", new CamsTemplateReports(new TemplateReportStore(sql, migrationStore.outbox()),
                migrationStore, CamelContextHelper.mandatoryLookup(context, "migrationEvents", MigrationEvents.class),
                pauses, CamelContextHelper.mandatoryLookup(context, "json", ObjectMapper.class), clock,
                CamelContextHelper.mandatoryLookup(context, "migrationScheduler", MigrationScheduler.class).instanceId(),
                Duration.ofMillis(templateReportLeaseMs), templateReportBatchSize));
        registry.bind("alibabaPauseHealthCheck", new ProviderPauseHealthCheck(pauses, AlibabaErrorClassifier.PROVIDER));
        registry.bind("alibabaChatappSteps", new AlibabaChatappSteps(retryPolicy, codeWait, camsClassifier));

        RegisterAttempts registerAttempts = new RegisterAttempts(new RegisterAttemptStore(
                CamelContextHelper.mandatoryLookup(context, "sql", Sql.class)), new RegisterBudget(Duration.ofMillis(registerBudgetWindowMs), registerBudgetLimit,
                registerBudgetSafetyMargin), clock);
        UsageHeaders usageHeaders = new UsageHeaders(usageSlowDownAtPercent, usagePauseAtPercent,
                Duration.ofMillis(usageDefaultPauseMs), Duration.ofMillis(usageMaxSlowDownDelayMs));
        registry.bind("registerAttempts", registerAttempts);
        GraphRequests graphRequests = new GraphRequests(new GraphRequests.Api(graphVersion.strip(),
                settings.get("app.provider.meta.app-id", ""), settings.get("app.provider.meta.system-user-token", ""),
                settings.get("app.provider.meta.app-secret", "")), new MetaErrorClassifier(),
                new GraphRequests.Pacing(usageHeaders, Duration.ofMillis(usageMaxInRoutePauseMs),
                        Duration.ofMillis(usageMaxRegainWaitMs)),
                registerAttempts, codeWait, clock);
        registry.bind("graphRequests", graphRequests);
        registry.bind("graphPace", expression(graphRequests::pace));
        registry.bind("graphNotSafeToRepeat", (Predicate) graphRequests::notSafeToRepeat);
        registry.bind("metaSteps", new MetaSteps(retryPolicy, codeWait, new MetaSteps.Acceptance(
                Duration.ofMillis(acceptanceInitialIntervalMs), acceptanceBackoffMultiplier,
                Duration.ofMillis(acceptanceMaxIntervalMs), Duration.ofMillis(acceptanceDeadlineMs)),
                new MetaSteps.ReadBack(readBackMaxSendsInDoubt, readBackPending, readBackMaxPages)));
        registry.bind("metaPreflight", new MetaPreflight(retryPolicy));
        registry.bind("metaTemplates", new MetaTemplates());
    }

    /** A route expression that calls {@code method} on the exchange itself. */
    private static Expression expression(java.util.function.Function<Exchange, Object> method) {
        return new ExpressionAdapter() {
            @Override
            public Object evaluate(Exchange exchange) {
                return method.apply(exchange);
            }
        };
    }
}
