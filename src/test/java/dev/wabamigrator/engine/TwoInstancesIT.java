package dev.wabamigrator.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.support.EventOrder;
import dev.wabamigrator.support.Closing;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.StepServer;
import dev.wabamigrator.support.TestApp;
import dev.wabamigrator.support.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.camel.api.management.ManagedCamelContext;
import org.apache.camel.api.management.mbean.ManagedRouteMBean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Design §3 rule 4: two instances on one PostgreSQL database, one consumer group, one provider. Every migration
 * completes and no step reaches the provider twice, although both instances claim from the same rows all the time
 * and each holds its claims longer than a lease (so leases must be renewed, and a renewed lease must stay renewed).
 */
class TwoInstancesIT {
    private static final int MIGRATIONS = 300;
    private static final Duration PROVIDER_LATENCY = Duration.ofMillis(100);
    private static final String LEASE_MS = "1000";
    private static final String HEARTBEAT_MS = "300";
    private static final String WORKERS = "8";
    private static final List<String> STEPS = List.of("one", "two", "three");
    private static final String ACCEPTED = "waba.migration.accepted";
    private static final String SUCCEEDED = "waba.migration.step.succeeded";
    private static final String COMPLETED = "waba.migration.completed";

    private StepServer provider;
    private final List<TestApp> apps = new ArrayList<>();
    private Commands commands;
    private Events events;

    @AfterEach
    void stop() throws Exception {
        List<AutoCloseable> open = new ArrayList<>(apps);
        open.addAll(Arrays.asList(commands, events, provider));
        Closing.inOrder(open.toArray(AutoCloseable[]::new));
    }

    @Test
    void should_complete_every_migration_with_each_step_called_once_when_two_instances_share_the_work()
            throws Exception {
        TestDatabase database = TestDatabase.postgres();
        provider = new StepServer();
        provider.latency(PROVIDER_LATENCY);
        Map<String, String> properties = TestApp.defaults(database, TestApp.uniqueSuffix(), provider.url());
        // short leases and few workers: each instance claims up to 200 migrations but runs 8 at a time (3 x 100 ms
        // each), so most claims are held for several leases: renewals, step records and the other instance's claims
        // meet all the time
        properties.put("app.scheduler.workers", WORKERS);
        properties.put("app.scheduler.lease-ms", LEASE_MS);
        properties.put("app.scheduler.heartbeat-ms", HEARTBEAT_MS);
        apps.add(TestApp.start(properties));
        Map<String, String> second = new LinkedHashMap<>(properties);
        second.put("app.webhook.port", String.valueOf(TestApp.freePort())); // each instance its own webhook port
        apps.add(TestApp.start(second));
        String brokers = properties.get("app.kafka.brokers");
        events = new Events(brokers, properties.get("app.kafka.topic.events"));
        commands = new Commands(brokers, properties.get("app.kafka.topic.commands"));

        long started = System.nanoTime();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < MIGRATIONS; i++) {
            String migrationId = "pair-" + i;
            String number = String.valueOf(6_505_560_000L + i);
            commands.send("1" + number, """
                    {"commandId":"start-%s","type":"StartMigration","migrationId":"%s","flow":"TEST_STEPS",
                     "phoneNumber":{"countryCode":"1","number":"%s"}}""".formatted(migrationId, migrationId, number));
            ids.add(migrationId);
        }
        Duration sending = Duration.ofNanos(System.nanoTime() - started);
        await("every migration completed").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> completedIds().size() == MIGRATIONS);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);

        // ---- the provider: each (migration, step) called exactly once ------------------------------------------
        Map<String, Integer> calls = new LinkedHashMap<>();
        provider.allCalls().forEach((key, count) -> calls.put(key, count.get()));
        List<String> expectedKeys = ids.stream().flatMap(id -> STEPS.stream().map(step -> step + "/" + id)).toList();
        int maxCalls = calls.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        assertThat(calls.entrySet().stream().filter(e -> e.getValue() != 1).map(Map.Entry::toString).toList())
                .as("(migration, step) pairs the provider saw more than once").isEmpty();
        assertThat(calls.keySet()).containsExactlyInAnyOrderElementsOf(expectedKeys);

        // ---- the events: every one there once (a re-publication would be the same event) --------------------
        List<JsonNode> all = events.all();
        int duplicates = EventOrder.assertInOrderRepeatsExact(all, ids, List.of(ACCEPTED + "/one", SUCCEEDED + "/one",
                SUCCEEDED + "/two", SUCCEEDED + "/three", COMPLETED + "/three"));

        // ---- both instances worked: step routes each one ran (Camel's own route statistics) -------------------
        List<Long> stepRuns = apps.stream().map(TwoInstancesIT::stepRouteRuns).toList();
        assertThat(stepRuns).as("step route runs per instance").allMatch(runs -> runs > 0);
        assertThat(stepRuns.stream().mapToLong(Long::longValue).sum()).isEqualTo(3L * MIGRATIONS);

        System.out.printf("TWO-INSTANCES [postgresql] N=%d providerLatency=%dms workers=%s lease=%sms heartbeat=%sms"
                        + " | commands sent in %d ms, all completed %d ms after the first was sent | step runs per"
                        + " instance: %s | max provider calls per (migration, step)=%d | duplicate event deliveries=%d"
                        + " of %d%n",
                MIGRATIONS, PROVIDER_LATENCY.toMillis(), WORKERS, LEASE_MS, HEARTBEAT_MS, sending.toMillis(),
                elapsed.toMillis(), stepRuns, maxCalls, duplicates, all.size());
    }

    private Set<String> completedIds() {
        return events.ofType(COMPLETED).stream().map(e -> e.path("data").path("migrationId").asText())
                .collect(Collectors.toSet());
    }

    /** How many times this instance ran the test flow's step routes (exchanges completed, per Camel's JMX stats). */
    private static long stepRouteRuns(TestApp app) {
        ManagedCamelContext managed = app.context().getCamelContextExtension()
                .getContextPlugin(ManagedCamelContext.class);
        AtomicInteger found = new AtomicInteger();
        long runs = 0;
        for (String step : STEPS) {
            ManagedRouteMBean route = managed.getManagedRoute("test-steps-" + step);
            if (route != null) {
                found.incrementAndGet();
                runs += route.getExchangesCompleted();
            }
        }
        assertThat(found.get()).as("JMX statistics of the step routes").isEqualTo(STEPS.size());
        return runs;
    }
}
