package dev.wabamigrator.progress;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.sandbox.AlibabaSandboxControl;
import dev.wabamigrator.sandbox.ProviderSandbox;
import dev.wabamigrator.support.KafkaClients;
import dev.wabamigrator.support.KafkaClients.Commands;
import dev.wabamigrator.support.KafkaClients.Events;
import dev.wabamigrator.support.SandboxedService;
import dev.wabamigrator.support.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code waba.migration.batch.progress} end to end: ALIBABA_CHATAPP batches through Kafka against the built-in cams
 * sandbox, the progress read off the events topic as the import command reads it. Run once per database
 * ({@link BatchProgressH2IT}, {@link BatchProgressPostgresIT}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BatchProgressContract {
    private static final String PROGRESS = "waba.migration.batch.progress";
    private static final Duration MIN_INTERVAL = Duration.ofSeconds(5);
    private static final AtomicInteger NUMBERS = new AtomicInteger(100);

    private TestDatabase db;
    private SandboxedService service;
    private Commands commands;
    private Events events;
    private AlibabaSandboxControl cams;
    private final Set<String> batches = new java.util.concurrent.ConcurrentSkipListSet<>();

    abstract TestDatabase database();

    @BeforeAll
    void start() throws Exception {
        // look for changes ten times a second, so that a publisher without its minimum interval would publish
        // every few steps (the interval itself stays at its default of 5 s)
        db = database();
        service = SandboxedService.start(db, Map.of("app.progress.poll-interval-ms", "100"));
        commands = service.commands();
        events = service.events();
        cams = AlibabaSandboxControl.of(service.app().bean("providerSandbox", ProviderSandbox.class));
    }

    @AfterAll
    void stop() throws Exception {
        try {
            // every batch's events: key = subject = batch id, spaced by the minimum interval unless news
            for (String batchId : batches) {
                assertSpacedUnlessNews(progress(batchId));
            }
            for (ConsumerRecord<String, byte[]> record : events.records()) {
                JsonNode event = KafkaClients.parse(record.value());
                if (PROGRESS.equals(event.path("type").asText())) {
                    assertThat(record.key()).isEqualTo(event.path("subject").asText())
                            .isEqualTo(event.at("/data/batchId").asText());
                }
            }
        } finally {
            service.close(); // also holds every event against its schema
        }
    }

    @Test
    void should_publish_progress_whose_counts_move_and_end_with_a_finished_one_with_the_right_counts() {
        String batch = batch("wave-counts");
        start(batch, verifiedNumber());
        start(batch, verifiedNumber());
        start(batch, verifiedNumber());
        String needsCode = number();
        String phone = start(batch, needsCode);

        JsonNode settled = awaitProgress(batch, e -> e.at("/data/settled").asBoolean());
        assertThat(settled.at("/data/total").asInt()).isEqualTo(4);
        assertThat(states(settled)).isEqualTo(states(0, 1, 3, 0, 0));
        assertThat(awaiting(settled)).isEqualTo(Map.of("VERIFICATION_CODE", 1, "CUSTOMER_ACCEPTANCE", 0,
                "HUMAN_ACTION", 0));
        assertThat(settled.at("/data/finished").asBoolean()).isFalse();
        assertThat(settled.at("/data/etaSeconds").isNull()).as("nothing runs").isTrue();

        commands.send(phone, """
                {"commandId":"code-%s","type":"SubmitVerificationCode","migrationId":"%s","code":"%s"}"""
                .formatted(needsCode, "m-" + needsCode, cams.code(phone).orElseThrow()));
        JsonNode finished = awaitProgress(batch, e -> e.at("/data/finished").asBoolean());

        assertThat(finished.at("/data/total").asInt()).isEqualTo(4);
        assertThat(states(finished)).isEqualTo(states(0, 0, 4, 0, 0));
        assertThat(finished.at("/data/settled").asBoolean()).isTrue();
        assertThat(finished.at("/data/migrationsPerSecond").asDouble()).isPositive();
        List<JsonNode> published = progress(batch);
        assertThat(published.get(published.size() - 1)).as("the finished one is the last").isEqualTo(finished);
        assertThat(published.stream().map(e -> e.at("/data/states")).distinct().count())
                .as("the counts move").isGreaterThanOrEqualTo(2);
    }

    @Test
    void should_publish_a_change_held_back_by_the_interval_once_it_is_over_and_a_finished_one_at_once() {
        String batch = batch("wave-held");
        String first = number();
        String second = number();
        String firstPhone = start(batch, first);
        String secondPhone = start(batch, second);
        JsonNode bothWaiting = awaitProgress(batch, e -> e.at("/data/states/AWAITING_INPUT").asInt() == 2);

        // still settled, not finished: news for nobody in a hurry, so it waits for the interval
        cancel(firstPhone, first);
        JsonNode oneCancelled = awaitProgress(batch, e -> e.at("/data/states/CANCELLED").asInt() == 1);
        assertThat(time(oneCancelled)).isAfterOrEqualTo(time(bothWaiting).plus(MIN_INTERVAL));
        assertThat(states(oneCancelled)).isEqualTo(states(0, 1, 0, 0, 1));

        cancel(secondPhone, second);
        JsonNode finished = awaitProgress(batch, e -> e.at("/data/finished").asBoolean());
        assertThat(states(finished)).isEqualTo(states(0, 0, 0, 0, 2));
        assertThat(time(finished)).as("not held back").isBefore(time(oneCancelled).plus(MIN_INTERVAL));
    }

    @Test
    void should_keep_the_progress_of_two_batches_apart() {
        String a = batch("wave-a");
        String b = batch("wave-b");
        start(a, verifiedNumber());
        start(b, verifiedNumber());
        start(a, verifiedNumber());
        start(b, verifiedNumber());
        start(b, verifiedNumber());

        JsonNode finishedA = awaitProgress(a, e -> e.at("/data/finished").asBoolean() && e.at("/data/total").asInt() == 2);
        JsonNode finishedB = awaitProgress(b, e -> e.at("/data/finished").asBoolean() && e.at("/data/total").asInt() == 3);

        assertThat(states(finishedA)).isEqualTo(states(0, 0, 2, 0, 0));
        assertThat(states(finishedB)).isEqualTo(states(0, 0, 3, 0, 0));
        assertThat(progress(a)).allSatisfy(e -> assertThat(e.at("/data/total").asInt()).isBetween(1, 2));
        assertThat(progress(b)).allSatisfy(e -> assertThat(e.at("/data/total").asInt()).isBetween(1, 3));
    }

    @Test
    void should_publish_no_progress_for_migrations_without_a_batch() {
        String unbatched = verifiedNumber();
        commands.send("86" + unbatched, """
                {"commandId":"start-m-%s","type":"StartMigration","migrationId":"m-%s","flow":"ALIBABA_CHATAPP",
                 "phoneNumber":{"countryCode":"86","number":"%s"},
                 "alibaba":{"custSpaceId":"cams-test","verifyMethod":"sms","locale":"en_US"}}"""
                .formatted(unbatched, unbatched, unbatched));
        events.awaitType("m-" + unbatched, "waba.migration.completed");
        // a batch started after it finishes only once the publisher has looked past the unbatched one's changes
        String marker = batch("wave-marker");
        start(marker, verifiedNumber());
        JsonNode finished = awaitProgress(marker, e -> e.at("/data/finished").asBoolean());

        assertThat(finished.at("/data/total").asInt()).isEqualTo(1);
        assertThat(events.ofType(PROGRESS)).allSatisfy(e ->
                assertThat(batches).as("a batch this test started").contains(e.path("subject").asText()));
    }

    private String batch(String name) {
        String batchId = name + "-" + db.kind() + "-" + NUMBERS.incrementAndGet();
        batches.add(batchId);
        return batchId;
    }

    /** A happy-path number (code steps) unique to this run. */
    private static String number() {
        return "1390" + String.format("%03d", NUMBERS.incrementAndGet()) + "1234";
    }

    /** A number the sandbox shows already verified (ends in 0001): no code steps. */
    private static String verifiedNumber() {
        return "1390" + String.format("%03d", NUMBERS.incrementAndGet()) + "0001";
    }

    private String start(String batchId, String number) {
        commands.send("86" + number, """
                {"commandId":"start-m-%s","type":"StartMigration","migrationId":"m-%s","flow":"ALIBABA_CHATAPP",
                 "batchId":"%s","phoneNumber":{"countryCode":"86","number":"%s"},
                 "alibaba":{"custSpaceId":"cams-test","verifyMethod":"sms","locale":"en_US"}}"""
                .formatted(number, number, batchId, number));
        return "86" + number;
    }

    private void cancel(String phone, String number) {
        commands.send(phone, """
                {"commandId":"cancel-%s","type":"CancelMigration","migrationId":"m-%s"}""".formatted(number, number));
    }

    /** The batch's progress events in the order published, each once (a re-publication repeats an id). */
    private List<JsonNode> progress(String batchId) {
        Map<String, JsonNode> byId = new LinkedHashMap<>();
        for (JsonNode event : events.ofType(PROGRESS)) {
            if (batchId.equals(event.path("subject").asText())) {
                byId.putIfAbsent(event.path("id").asText(), event);
            }
        }
        return new ArrayList<>(byId.values());
    }

    private JsonNode awaitProgress(String batchId, Predicate<JsonNode> predicate) {
        return events.await(e -> PROGRESS.equals(e.path("type").asText())
                && batchId.equals(e.path("subject").asText()) && predicate.test(e), Duration.ofSeconds(60));
    }

    /** Each publication comes at least the minimum interval after the one before, unless it first shows the batch
     * settled or finished. */
    private static void assertSpacedUnlessNews(List<JsonNode> published) {
        for (int i = 1; i < published.size(); i++) {
            JsonNode before = published.get(i - 1);
            JsonNode after = published.get(i);
            boolean news = (after.at("/data/settled").asBoolean() && !before.at("/data/settled").asBoolean())
                    || (after.at("/data/finished").asBoolean() && !before.at("/data/finished").asBoolean());
            if (!news) {
                assertThat(time(after)).as("%s after %s", after, before).isAfterOrEqualTo(time(before).plus(MIN_INTERVAL));
            }
        }
    }

    private static Instant time(JsonNode event) {
        return Instant.parse(event.path("time").asText());
    }

    private static Map<String, Integer> states(JsonNode event) {
        Map<String, Integer> states = new LinkedHashMap<>();
        event.at("/data/states").fields().forEachRemaining(f -> states.put(f.getKey(), f.getValue().asInt()));
        return states;
    }

    private static Map<String, Integer> awaiting(JsonNode event) {
        Map<String, Integer> awaiting = new LinkedHashMap<>();
        event.at("/data/awaiting").fields().forEachRemaining(f -> awaiting.put(f.getKey(), f.getValue().asInt()));
        return awaiting;
    }

    private static Map<String, Integer> states(int running, int awaitingInput, int completed, int failed, int cancelled) {
        Map<String, Integer> states = new LinkedHashMap<>();
        states.put("RUNNING", running);
        states.put("AWAITING_INPUT", awaitingInput);
        states.put("COMPLETED", completed);
        states.put("FAILED", failed);
        states.put("CANCELLED", cancelled);
        return states;
    }
}
