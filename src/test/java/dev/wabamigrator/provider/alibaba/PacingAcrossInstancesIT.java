package dev.wabamigrator.provider.alibaba;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.wabamigrator.provider.RatePacer;
import dev.wabamigrator.sandbox.AlibabaSandbox;
import dev.wabamigrator.sandbox.AlibabaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.Closing;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.camel.api.management.ManagedCamelContext;
import org.apache.camel.api.management.mbean.ManagedRouteMBean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three instances on one PostgreSQL and one AccessKey, against one cams sandbox that enforces cams's 10 calls per
 * operation in any rolling second: with the default pacing (per account, shared through the database) they
 * together never exceed it, so cams throttles nothing. Paced per instance, the three would send three times the
 * limit.
 */
class PacingAcrossInstancesIT {
    private static final int INSTANCES = 3;
    private static final int MIGRATIONS = 60;
    private static final List<String> OPERATIONS = List.of("CreateChatappMigrationInitiate",
            "GetPhoneNumberVerificationStatus", "ChatappMigrationRegister");

    private final List<TestApp> apps = new ArrayList<>();
    private ProviderSandbox sandbox;
    private Commands commands;
    private Events events;

    @AfterEach
    void stop() throws Exception {
        List<AutoCloseable> open = new ArrayList<>(apps);
        open.addAll(Arrays.asList(commands, events, sandbox));
        Closing.inOrder(open.toArray(AutoCloseable[]::new));
    }

    @Test
    void should_never_be_throttled_when_three_instances_share_one_account() throws Exception {
        TestDatabase database = TestDatabase.postgres();
        sandbox = new ProviderSandbox(0);
        AlibabaSandbox cams = AlibabaSandbox.builder()
                .maxRequestsPerSecond(AlibabaSandbox.DEFAULT_MAX_REQUESTS_PER_SECOND).build().mountOn(sandbox);
        sandbox.start();
        AlibabaSandboxControl control = AlibabaSandboxControl.of(sandbox);

        Map<String, String> properties = TestApp.defaults(database, TestApp.uniqueSuffix(), null);
        properties.put("app.sandbox.enabled", "false");
        properties.put("app.provider.alibaba.endpoint", cams.camsEndpoint());
        properties.put("app.provider.alibaba.access-key-id", AlibabaSandbox.DEFAULT_ACCESS_KEY_ID);
        properties.put("app.provider.alibaba.access-key-secret", AlibabaSandbox.DEFAULT_ACCESS_KEY_SECRET);
        // a few migrations per claim, and at most 20 held by one instance at a time (waiting for a rate slot or
        // not): the first instance to poll cannot take all 60, so at least two instances must send calls
        properties.put("app.scheduler.batch-size", "5");
        properties.put("app.scheduler.max-in-flight", "20");
        properties.put("app.scheduler.max-waiting-for-rate", "0");
        for (int i = 0; i < INSTANCES; i++) {
            Map<String, String> instance = new LinkedHashMap<>(properties);
            instance.put("camel.main.name", "waba-migrator-" + i); // one operations MBean each in this JVM
            instance.put("app.webhook.port", String.valueOf(TestApp.freePort())); // each instance its own
            apps.add(TestApp.start(instance));
        }
        RatePacer pacer = apps.get(0).bean("camsPacer", RatePacer.class);
        assertThat(pacer.perSecond(CamsOperation.CHATAPP_MIGRATION_REGISTER.action()))
                .as("the default rate, per account").isLessThanOrEqualTo(AlibabaSandbox.DEFAULT_MAX_REQUESTS_PER_SECOND);
        assertThat(pacer.perSecond(CamsOperation.LIST_CHATAPP_TEMPLATE.action()))
                .as("the template listing's rate, half as cams documents").isLessThanOrEqualTo(5);
        String brokers = properties.get("app.kafka.brokers");
        commands = new Commands(brokers, properties.get("app.kafka.topic.commands"));
        events = new Events(brokers, properties.get("app.kafka.topic.events"));

        long started = System.nanoTime();
        for (int i = 0; i < MIGRATIONS; i++) {
            // ...0001: a number verified recently, so initiate, status check and register (no code)
            String number = String.format("139%04d0001", i);
            commands.send("86" + number, """
                    {"commandId":"start-shared-%d","type":"StartMigration","migrationId":"shared-%d",
                     "flow":"ALIBABA_CHATAPP","phoneNumber":{"countryCode":"86","number":"%s"},
                     "alibaba":{"custSpaceId":"cams-shared"}}""".formatted(i, i, number));
        }
        await("every migration completed").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                .until(() -> events.ofType("waba.migration.completed").stream()
                        .map(e -> e.at("/data/migrationId").asText()).collect(Collectors.toSet()).size() == MIGRATIONS);
        double seconds = (System.nanoTime() - started) / 1e9;

        assertThat(control.throttledCount()).as("answers throttled by cams's rolling-second limit").isZero();
        for (String operation : OPERATIONS) {
            assertThat(control.calls(operation)).as(operation).isEqualTo(MIGRATIONS);
        }
        List<Long> callsPerInstance = apps.stream().map(PacingAcrossInstancesIT::camsCalls).toList();
        // the limit is shared only if more than one instance sent calls; which ones, and how many, is scheduling
        // (no instance may hold more than 20 of the 60 at once)
        assertThat(callsPerInstance.stream().filter(calls -> calls > 0).count())
                .as("instances that sent cams calls, of " + callsPerInstance).isGreaterThanOrEqualTo(2);
        // paced per account, not per instance: the whole set takes about N / 10 s per operation, pipelined
        assertThat(seconds).isGreaterThan((MIGRATIONS - 1) / (double) AlibabaSandbox.DEFAULT_MAX_REQUESTS_PER_SECOND);

        // the templates reports trail the migrations: the instances share the due records (SKIP LOCKED), each
        // migration gets exactly one, the reports due together share a listing, and ListChatappTemplate, paced at
        // its own 5 per second for the account, is never throttled either
        await("every migration's templates report").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> events.ofType("waba.migration.templates.migrated").stream()
                        .map(e -> e.at("/data/migrationId").asText()).collect(Collectors.toSet()).size() == MIGRATIONS);
        List<String> reported = events.ofType("waba.migration.templates.migrated").stream()
                .map(e -> e.at("/data/migrationId").asText()).toList();
        assertThat(reported).as("one report per migration").doesNotHaveDuplicates().hasSize(MIGRATIONS);
        int listings = control.listings("cams-shared");
        assertThat(listings).as("listing calls (two pages a listing)").isLessThan(2 * MIGRATIONS);
        assertThat(control.throttledCount()).as("throttled, the listings included").isZero();
        System.out.printf("PACING-ACROSS-INSTANCES [postgresql] instances=%d N=%d calls per instance %s, %.1f s, "
                + "throttled %d, template listing calls %d%n", INSTANCES, MIGRATIONS, callsPerInstance, seconds,
                control.throttledCount(), listings);
    }

    /** How many cams calls this instance sent (Camel's route statistics). */
    private static long camsCalls(TestApp app) {
        ManagedRouteMBean route = app.context().getCamelContextExtension().getContextPlugin(ManagedCamelContext.class)
                .getManagedRoute("alibaba-cams-call");
        assertThat(route).as("statistics of alibaba-cams-call").isNotNull();
        return route.getExchangesTotal();
    }
}
