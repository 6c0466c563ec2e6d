package dev.wabamigrator.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.wabamigrator.command.CommandIntake;
import dev.wabamigrator.engine.CodeWait;
import dev.wabamigrator.engine.EngineMetrics;
import dev.wabamigrator.engine.FlowRegistry;
import dev.wabamigrator.engine.MigrationCommands;
import dev.wabamigrator.engine.MigrationScheduler;
import dev.wabamigrator.engine.MigrationStore;
import dev.wabamigrator.engine.ProviderPauseHealthCheck;
import dev.wabamigrator.engine.ProviderPauses;
import dev.wabamigrator.engine.RetryPolicy;
import dev.wabamigrator.engine.SecretBox;
import dev.wabamigrator.engine.Sql;
import dev.wabamigrator.engine.FlowPass;
import dev.wabamigrator.engine.StepOutcomes;
import dev.wabamigrator.engine.StepRecorder;
import dev.wabamigrator.event.MessageSchemas;
import dev.wabamigrator.event.MigrationEvents;
import dev.wabamigrator.event.OutboxPublisher;
import dev.wabamigrator.provider.RatePacer;
import dev.wabamigrator.provider.alibaba.AlibabaChatappSteps;
import dev.wabamigrator.provider.alibaba.AlibabaErrorClassifier;
import dev.wabamigrator.provider.alibaba.CamsClient;
import dev.wabamigrator.provider.meta.GraphClient;
import dev.wabamigrator.provider.meta.MetaErrorClassifier;
import dev.wabamigrator.provider.meta.MetaSteps;
import dev.wabamigrator.provider.meta.RegisterAttempts;
import dev.wabamigrator.provider.meta.RegisterBudget;
import dev.wabamigrator.provider.meta.UsageHeaders;
import dev.wabamigrator.sandbox.AlibabaSandbox;
import dev.wabamigrator.sandbox.MetaSandbox;
import dev.wabamigrator.sandbox.ProviderSandbox;
import java.net.URI;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.spi.MaskingFormatter;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.processor.DefaultMaskingFormatter;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the application: the Kafka broker (embedded unless KAFKA_BROKERS is set), the database (H2 file unless
 * DB_URL is set) migrated by Flyway, the topics, the engine beans the routes call, health checks and Jolokia.
 */
public class AppConfiguration implements CamelConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(AppConfiguration.class);
    /** Field names whose values are secrets wherever Camel prints a message. */
    static final java.util.List<String> SECRET_KEYWORDS = java.util.List.of("pin", "code", "verifyCode", "VerifyCode",
            "access_token", "accessToken", "appsecret_proof", "Authorization", "authorization");
    /** The development key's file name in {@code app.data-dir}, used when SECRETS_KEY is not set. */
    static final String DEVELOPMENT_KEY_FILE = "secrets.key";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    @Override
    public void configure(CamelContext context) throws Exception {
        Resources resources = new Resources();
        context.addService(resources, true, true);
        try {
            wire(context, resources);
        } catch (Exception | Error e) {
            resources.closeAll(); // an embedded broker left running would keep the JVM alive after a failed start
            throw e;
        }
    }

    private void wire(CamelContext context, Resources resources) throws Exception {
        Settings settings = new Settings(context);
        Path dataDir = Path.of(settings.require("app.data-dir"));
        Registry registry = context.getRegistry();
        // checked before anything starts: an unsafe Jolokia setting stops the start at once
        JolokiaAgent jolokia = settings.flag("app.jolokia.enabled") ? JolokiaAgent.configure(settings, dataDir) : null;

        String brokers = settings.get("app.kafka.brokers", "");
        if (brokers.isEmpty()) {
            EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dataDir.resolve("kafka"),
                    settings.integer("app.kafka.embedded.port"), 0, settings.integer("app.kafka.topic.partitions"));
            resources.add(broker);
            brokers = broker.start().bootstrapServers();
        }
        context.getComponent("kafka", KafkaComponent.class).getConfiguration().setBrokers(brokers);
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers));
        resources.add(admin);
        createTopics(admin, settings);

        HikariDataSource dataSource = dataSource(settings, dataDir);
        resources.add(dataSource);
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();

        if (sandboxWanted(settings)) {
            startSandbox(context, settings, resources, registry);
        }

        Clock clock = Clock.systemUTC();
        ObjectMapper json = new ObjectMapper();
        Sql sql = new Sql(dataSource);
        SecretBox secretBox = secretBox(settings, dataDir);
        // the flows are read from the flow routes when the context starts, before any route runs
        FlowRegistry flows = new FlowRegistry(context);
        context.addService(flows);
        EngineMetrics metrics = new EngineMetrics(meterRegistry(context));
        MigrationStore store = new MigrationStore(sql, secretBox, json, clock);
        MigrationEvents events = new MigrationEvents(json, sql, settings.require("app.events.source"));
        RetryPolicy retryPolicy = new RetryPolicy(clock, settings.millis("app.retry.park.initial-delay-ms"),
                Double.parseDouble(settings.require("app.retry.park.backoff-multiplier")),
                settings.millis("app.retry.park.max-delay-ms"), settings.integer("app.retry.park.max-transient-attempts"),
                settings.integer("app.retry.park.max-rate-limited-attempts"),
                settings.integer("app.retry.read-back.max-attempts"));
        MigrationScheduler scheduler = new MigrationScheduler(store, events, flows, clock, settings.integer("app.scheduler.max-in-flight"),
                settings.integer("app.scheduler.batch-size"), settings.millis("app.scheduler.lease-ms"));
        // a credential or signer failure holds every call to that provider; a start may bring fixed credentials
        ProviderPauses pauses = new ProviderPauses(sql, clock, settings.millis("app.provider.pause.refresh-ms"),
                settings.millis("app.provider.pause.recheck-ms"), metrics);
        pauses.endAll();
        // a resume keeps a call in doubt pending when its step can read the provider's state back
        MigrationCommands commands = new MigrationCommands(store, events, flows, json, clock,
                stepRoute -> context.getRoute(stepRoute + "-reconcile") != null, pauses);

        // Camel's log mask (log EIP, tracer, JMX message dumps) also hides our secrets: PINs, codes, tokens
        java.util.Set<String> keywords = new java.util.HashSet<>(org.apache.camel.util.SensitiveUtils.getSensitiveKeys());
        keywords.addAll(SECRET_KEYWORDS);
        DefaultMaskingFormatter mask = new DefaultMaskingFormatter(keywords, true, true, true);
        registry.bind(MaskingFormatter.CUSTOM_LOG_MASK_REF, mask);
        registry.bind("dataSource", dataSource);
        registry.bind("json", json);
        registry.bind("clock", clock);
        registry.bind("sql", sql);
        registry.bind("secretBox", secretBox);
        registry.bind("flowRegistry", flows);
        registry.bind("engineMetrics", metrics);
        registry.bind("migrationStore", store);
        registry.bind("migrationEvents", events);
        registry.bind("retryPolicy", retryPolicy);
        registry.bind("migrationScheduler", scheduler);
        registry.bind("migrationCommands", commands);
        registry.bind("stepRecorder", new StepRecorder(store, events, flows, retryPolicy, json, clock, metrics));
        registry.bind("flowPass", new FlowPass(flows));
        registry.bind("stepOutcomes", new StepOutcomes());
        CodeWait codeWait = new CodeWait(settings.millis("app.code-wait.validity-ms"),
                settings.integer("app.code-wait.max-wrong-codes"), settings.millis("app.code-wait.quiet-period-ms"));
        registry.bind("codeWait", codeWait);
        AlibabaErrorClassifier camsClassifier = new AlibabaErrorClassifier();
        registry.bind("camsClient", new CamsClient(URI.create(settings.require("app.provider.alibaba.endpoint")),
                settings.get("app.provider.alibaba.access-key-id", ""),
                settings.get("app.provider.alibaba.access-key-secret", ""), camsClassifier,
                new RatePacer(clock, Double.parseDouble(settings.require("app.provider.alibaba.max-calls-per-second"))),
                codeWait, pauses, clock));
        registry.bind("providerPauses", pauses);
        registry.bind("alibabaPauseHealthCheck", new ProviderPauseHealthCheck(pauses, AlibabaErrorClassifier.PROVIDER));
        registry.bind("alibabaChatappSteps", new AlibabaChatappSteps(retryPolicy, codeWait, camsClassifier));
        bindMeta(registry, settings, sql, retryPolicy, codeWait, clock);
        registry.bind("kafkaOffsets", new KafkaOffsets());
        registry.bind("commandIntake", new CommandIntake(json, new MessageSchemas(), flows, commands, events, sql, clock,
                settings.integer("app.intake.max-command-bytes")));
        registry.bind("outboxPublisher", new OutboxPublisher(sql, clock, scheduler.instanceId(),
                settings.integer("app.outbox.batch-size"), new OutboxPublisher.Timing(
                        settings.millis("app.outbox.lease-ms"),
                        settings.millis("app.outbox.send.max-block-ms")
                                .plus(settings.millis("app.outbox.send.delivery-timeout-ms")),
                        settings.millis("app.outbox.clock-margin-ms"))));
        HikariDataSource healthDataSource = healthDataSource(dataSource);
        resources.add(healthDataSource);
        registry.bind("databaseHealthCheck", new DatabaseHealthCheck(healthDataSource));
        registry.bind("kafkaHealthCheck", new KafkaHealthCheck(admin));

        if (jolokia != null) {
            resources.add(jolokia.start());
        }
        LOG.info("waba-migrator wired: Kafka {}, database {}", brokers, sql.dialect());
    }

    /** The Graph API client, the persisted register budget and the META_MPS / META_CLASSIC step beans. */
    private static void bindMeta(Registry registry, Settings settings, Sql sql, RetryPolicy retryPolicy,
                                 CodeWait codeWait, Clock clock) {
        RegisterBudget budget = new RegisterBudget(settings.millis("app.provider.meta.register-budget.window-ms"),
                settings.integer("app.provider.meta.register-budget.limit"),
                settings.integer("app.provider.meta.register-budget.safety-margin"));
        RegisterAttempts registerAttempts = new RegisterAttempts(sql, budget, clock);
        UsageHeaders usageHeaders = new UsageHeaders(settings.integer("app.provider.meta.usage.slow-down-at-percent"),
                settings.integer("app.provider.meta.usage.pause-at-percent"),
                settings.millis("app.provider.meta.usage.default-pause-ms"),
                settings.millis("app.provider.meta.usage.max-slow-down-delay-ms"));
        registry.bind("registerAttempts", registerAttempts);
        registry.bind("graphClient", new GraphClient(new GraphClient.Api(
                settings.require("app.provider.meta.graph-version"), settings.get("app.provider.meta.app-id", ""),
                settings.get("app.provider.meta.system-user-token", ""),
                settings.get("app.provider.meta.app-secret", "")), new MetaErrorClassifier(),
                new GraphClient.Pacing(usageHeaders, settings.millis("app.provider.meta.usage.max-in-route-pause-ms"),
                        settings.millis("app.provider.meta.usage.max-regain-wait-ms")),
                registerAttempts, codeWait, clock));
        registry.bind("metaSteps", new MetaSteps(retryPolicy, codeWait, new MetaSteps.Acceptance(
                settings.millis("app.provider.meta.acceptance.initial-interval-ms"),
                Double.parseDouble(settings.require("app.provider.meta.acceptance.backoff-multiplier")),
                settings.millis("app.provider.meta.acceptance.max-interval-ms"),
                settings.millis("app.provider.meta.acceptance.deadline-ms")), new MetaSteps.ReadBack(
                settings.integer("app.provider.meta.read-back.max-sends-in-doubt"),
                settings.integer("app.provider.meta.read-back.pending-read-backs"),
                settings.integer("app.provider.meta.read-back.max-pages"))));
    }

    /** SANDBOX=true, or no provider credentials at all: serve both providers' APIs from this process. */
    private static boolean sandboxWanted(Settings settings) {
        String flag = settings.get("app.sandbox.enabled", "");
        if (!flag.isEmpty()) {
            return Boolean.parseBoolean(flag);
        }
        return settings.get("app.provider.alibaba.access-key-id", "").isEmpty()
                && settings.get("app.provider.meta.system-user-token", "").isEmpty();
    }

    private static void startSandbox(CamelContext context, Settings settings, Resources resources, Registry registry) {
        MetaSandbox meta = new MetaSandbox(MetaSandbox.Config.defaults()
                .withLatency(settings.millis("app.sandbox.latency-ms")));
        ProviderSandbox sandbox = new ProviderSandbox(settings.integer("app.sandbox.port"));
        resources.add(sandbox);
        AlibabaSandbox alibaba = AlibabaSandbox.builder()
                .maxRequestsPerSecond(settings.integer("app.sandbox.alibaba.max-requests-per-second"))
                .latency(settings.millis("app.sandbox.latency-ms")).build().mountOn(sandbox);
        sandbox.mount(MetaSandbox.CONTEXT_PATH, meta).mount(MetaSandbox.CONTROL_CONTEXT_PATH, meta).onClose(meta);
        sandbox.start();
        var properties = context.getPropertiesComponent();
        properties.addOverrideProperty("app.provider.alibaba.endpoint", alibaba.camsEndpoint());
        properties.addOverrideProperty("app.provider.alibaba.access-key-id", AlibabaSandbox.DEFAULT_ACCESS_KEY_ID);
        properties.addOverrideProperty("app.provider.alibaba.access-key-secret", AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET);
        properties.addOverrideProperty("app.provider.meta.graph-url", sandbox.baseUrl() + MetaSandbox.CONTEXT_PATH);
        properties.addOverrideProperty("app.provider.meta.app-id", MetaSandbox.APP_ID);
        properties.addOverrideProperty("app.provider.meta.app-secret", MetaSandbox.APP_SECRET);
        properties.addOverrideProperty("app.provider.meta.system-user-token", MetaSandbox.SYSTEM_TOKEN);
        registry.bind("providerSandbox", sandbox);
        registry.bind("alibabaSandbox", alibaba);
        registry.bind("metaSandbox", meta);
        LOG.warn("provider SANDBOX on {}: no real provider is called (codes: {}/alibaba-sandbox/codes/<number>)",
                sandbox.baseUrl(), sandbox.baseUrl());
    }

    private static void createTopics(Admin admin, Settings settings) throws InterruptedException, ExecutionException {
        int partitions = settings.integer("app.kafka.topic.partitions");
        short replication = Short.parseShort(settings.require("app.kafka.topic.replication-factor"));
        List<NewTopic> topics = List.of("app.kafka.topic.commands", "app.kafka.topic.events", "app.kafka.topic.commands-dlq")
                .stream().map(key -> new NewTopic(settings.require(key), partitions, replication)).toList();
        for (var entry : admin.createTopics(topics).values().entrySet()) {
            try {
                entry.getValue().get(30, TimeUnit.SECONDS);
                LOG.info("created topic {} ({} partitions)", entry.getKey(), partitions);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            } catch (java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("Kafka did not create topic " + entry.getKey() + " in 30 s", e);
            }
        }
    }

    private static HikariDataSource dataSource(Settings settings, Path dataDir) {
        HikariConfig config = new HikariConfig();
        String url = settings.get("app.db.url", "");
        if (url.isEmpty()) {
            url = "jdbc:h2:file:" + dataDir.resolve("db").resolve("waba-migrator").toAbsolutePath()
                    // WRITE_DELAY=0: a commit is on disk before it returns (kill -9 loses nothing);
                    // DB_CLOSE_ON_EXIT=FALSE: the pool closes the database after the routes stopped, not H2's hook
                    + ";LOCK_TIMEOUT=10000;WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE";
        }
        config.setJdbcUrl(url);
        config.setUsername(settings.get("app.db.user", ""));
        config.setPassword(settings.get("app.db.password", ""));
        config.setMaximumPoolSize(settings.integer("app.db.pool-size"));
        config.setPoolName("waba-db");
        return new HikariDataSource(config);
    }

    /**
     * One connection of its own for the readiness check, failing within a second: borrowed from the main pool it
     * would wait the pool's connection timeout while the database is down (the probe gives up first and never sees
     * DOWN), and could report DOWN when the pool is merely busy under load.
     */
    private static HikariDataSource healthDataSource(HikariDataSource main) {
        HikariConfig config = new HikariConfig();
        main.copyStateTo(config);
        config.setPoolName("waba-db-health");
        config.setMaximumPoolSize(1);
        config.setConnectionTimeout(1000);
        config.setValidationTimeout(1000);
        config.setInitializationFailTimeout(-1); // the check reports a database that is down; start-up does not wait
        return new HikariDataSource(config);
    }

    /** SECRETS_KEY (or the development key) seals; the keys of SECRETS_KEY_PREVIOUS still open older rows. */
    private static SecretBox secretBox(Settings settings, Path dataDir) throws IOException {
        String key = settings.get("app.secrets.key", "");
        if (key.isEmpty()) {
            Path file = dataDir.resolve(DEVELOPMENT_KEY_FILE);
            LOG.warn("SECRETS_KEY is not set: secrets at rest are encrypted with the development key in {}; "
                    + "set SECRETS_KEY in production", file);
            key = developmentKey(dataDir);
        }
        List<String> previous = Arrays.stream(settings.get("app.secrets.previous-keys", "").split(","))
                .map(String::trim).filter(k -> !k.isEmpty()).toList();
        SecretBox box = new SecretBox(key, previous);
        // key ids are one-way fingerprints: they tell which rows still need an old key, and reveal nothing of it
        LOG.info("Secrets at rest: sealing under key id {}; also opening key ids {}", box.currentKeyId(),
                box.previousKeyIds());
        return box;
    }

    /**
     * The development key in {@code <dataDir>/secrets.key}, generated on first use: 32 random bytes, Base64. The file
     * is born owner-only (0600), written under a temporary name and renamed into place, so it is never readable by
     * others nor seen half-written. An existing file that others may read is tightened to 0600, with a warning.
     */
    static String developmentKey(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve(DEVELOPMENT_KEY_FILE);
        boolean posix = Files.getFileStore(dataDir).supportsFileAttributeView(PosixFileAttributeView.class);
        if (!Files.exists(file)) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            Path tmp = posix
                    ? Files.createTempFile(dataDir, DEVELOPMENT_KEY_FILE, ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY))
                    : Files.createTempFile(dataDir, DEVELOPMENT_KEY_FILE, ".tmp");
            try {
                Files.writeString(tmp, Base64.getEncoder().encodeToString(random), StandardCharsets.UTF_8);
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } else if (posix) {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            if (!OWNER_ONLY.containsAll(mode)) {
                LOG.warn("The development key {} was not owner-only ({}): its mode is now rw-------", file,
                        PosixFilePermissions.toString(mode));
                Files.setPosixFilePermissions(file, OWNER_ONLY);
            }
        }
        String key = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (key.isEmpty()) {
            throw new IllegalStateException("the development key " + file + " is empty: delete it only if no stored "
                    + "migration holds secrets, or set SECRETS_KEY");
        }
        return key;
    }

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

    /** Closes what configure() opened, in reverse order, when Camel stops (after the routes). */
    private static final class Resources extends ServiceSupport {
        private final Deque<AutoCloseable> open = new ArrayDeque<>();

        void add(AutoCloseable resource) {
            open.push(resource);
        }

        @Override
        protected void doStop() {
            closeAll();
        }

        void closeAll() {
            while (!open.isEmpty()) {
                try {
                    open.pop().close();
                } catch (Exception e) {
                    LOG.warn("closing {} failed: {}", e.getClass().getSimpleName(), e.getMessage());
                }
            }
        }
    }
}
